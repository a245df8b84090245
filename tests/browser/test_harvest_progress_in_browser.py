from datetime import timedelta

import pytest

from cases.models import Case
from netcore.sandbox import Sandbox
from tests.factories import OfficerFactory, make_case
from tests.harvest_fixtures import SANDBOX_KEY, d, event_counts, expected_counts, sandbox_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("celery")]


def test_officer_watches_collection_reach_100_percent(live_server, sign_in, celery_workers):
    officer = OfficerFactory(username="olivia")
    with Sandbox(api_key=SANDBOX_KEY, seed=31, events_per_day=2, latency_ms=300) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(concurrency=2)
        case = make_case(
            actor=officer,
            channels=["email", "sms"],
            search_from=d("2025-01-01"),
            search_to=d("2025-01-01") + timedelta(days=104),
        )
        page = sign_in(officer)
        page.goto(f"{live_server.url}{case.get_absolute_url()}")
        page.get_by_role("link", name="Data collected").click()
        page.locator("#collection").get_by_role("button", name="Start collection").click()
        page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}data/#collection")
        bar = page.locator("#harvest-progress")
        assert bar.get_attribute("max") == "30"
        seen = set()
        # Poll what the page shows while the workers collect, without reloading ourselves.
        for _ in range(300):
            value = int(float(bar.get_attribute("value") or 0))
            seen.add(value)
            if value == 30 and "Collected" in page.locator("h1").inner_text():
                break
            page.wait_for_timeout(100)
        assert 30 in seen
        # It moved while we watched: the page only reloads itself once collection is over.
        assert [v for v in seen if 0 < v < 30], seen
        assert page.locator('[data-field="percent"]').inner_text() == "100"
        expected = expected_counts(sandbox, case)
        email_count = page.locator('[data-channel-count="email"]').inner_text()
        assert int(email_count) == expected["email"]
    assert Case.objects.get(pk=case.pk).status == "collected"
    assert event_counts(case) == expected
