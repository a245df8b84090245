"""A collection plan is capped (CASE_MAX_WINDOWS): 50 keys × 2 channels × 5 years once planned
26,100 windows in a 20-second request, and the case page and the progress answer grew with them.
Now such a plan is refused at intake, on edit and at start, naming the numbers; 5,000 windows are
planned in under a second; the case page and the progress answer cost the same however many
windows (and failed windows) there are."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.harvest import planning
from cases.models import Case, HarvestWindow, WindowStatus
from cases.services import case_change_status
from tests.factories import make_account, make_case

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FIVE_YEARS_AGO = TODAY - timedelta(days=1826)  # CASE_MAX_RANGE_DAYS, the longest search
FIFTY_KEYS = [f"key{n}@example.com" for n in range(50)]
REFUSAL = (
    "This search needs 26,100 requests to Netcore (50 primary keys × 2 channels × 261 windows "
    "of at most 7 days for 1,827 days with 1 active accounts), more than the 5,000 a case may "
    "make (CASE_MAX_WINDOWS)."
)


@pytest.fixture(autouse=True)
def account(db):
    return make_account()


def intake(**overrides) -> dict:
    data = {
        "subject_name": "Alex Example",
        "subject_email": "alex@example.com",
        "primary_keys": "\n".join(FIFTY_KEYS),
        "channels": ["email", "sms"],
        "search_from": FIVE_YEARS_AGO.isoformat(),
        "search_to": TODAY.isoformat(),
        "received_on": TODAY.isoformat(),
    }
    return {**data, **overrides}


def test_refused_at_intake_naming_the_numbers(officer_client):
    response = officer_client.post(reverse("cases:create"), intake(), follow=True)
    assert response.redirect_chain == [(reverse("cases:create"), 302)]  # the form, once more
    assert REFUSAL in response.content.decode()
    assert not Case.objects.exists()
    # One key fewer a year: within the cap.
    ok = officer_client.post(reverse("cases:create"), intake(primary_keys="k@example.com"))
    assert ok.status_code == 302


def test_refused_by_the_command_too(db):
    args = ["--subject-name", "Alex", "--subject-email", "alex@example.com", "--channels"]
    args += ["email,sms", "--from", FIVE_YEARS_AGO.isoformat(), "--to", TODAY.isoformat()]
    for key in FIFTY_KEYS:
        args += ["--primary-key", key]
    with pytest.raises(CommandError) as refused:
        call_command("create_case", *args, stdout=StringIO())
    assert REFUSAL in str(refused.value)


def test_refused_on_edit(officer_client, officer):
    case = make_case(actor=officer, assigned_officer=officer, search_from=FIVE_YEARS_AGO)
    data = intake(assigned_officer=officer.pk)
    response = officer_client.post(reverse("cases:edit", args=[case.reference]), data, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert REFUSAL in response.content.decode()
    case.refresh_from_db()
    assert case.primary_keys == ["alex@example.com"]


def test_refused_at_start_when_accounts_or_the_cap_changed(officer_client, officer, settings):
    case = make_case(
        actor=officer, assigned_officer=officer, primary_keys=FIFTY_KEYS[:10], channels=["email"]
    )  # 31 days: 5 windows a key, 50 in all
    settings.CASE_MAX_WINDOWS = 49
    response = officer_client.post(reverse("cases:collect", args=[case.reference]), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "This search needs 50 requests to Netcore" in response.content.decode()
    assert "more than the 49 a case may make" in response.content.decode()
    assert not HarvestWindow.objects.exists()
    case.refresh_from_db()
    assert case.status == "received"
    settings.CASE_MAX_WINDOWS = 50
    assert len(planning.harvest_start(case=case, actor=officer, enqueue=False)) == 50


def plan(officer, keys: int) -> tuple[int, int, float]:
    """Windows planned, queries made and seconds taken for `keys` keys × 2 channels × 100."""
    case = make_case(
        actor=officer,
        primary_keys=FIFTY_KEYS[:keys],
        channels=["email", "sms"],
        search_from=TODAY - timedelta(days=699),  # 100 windows of 7 days
    )
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        windows = planning.harvest_start(case=case, actor=officer, enqueue=False)
        elapsed = time.perf_counter() - started
    return len(windows), len(queries), elapsed


def test_five_thousand_windows_are_planned_in_batches(officer):
    """The cost of a plan is a few statements, not one per window: 5,000 windows take under a
    second (`python -m tests.bench plan` measures it against saving them one by one; here only
    a bound that a plan saved row by row, several seconds, would break on a shared machine)."""
    small, small_queries, _ = plan(officer, keys=1)
    large, large_queries, elapsed = plan(officer, keys=25)
    assert (small, large) == (200, 5000)
    assert large_queries <= small_queries + 10  # one insert per 500 windows
    assert elapsed < 5, elapsed


def collecting_case(officer, account, windows: int, failed: int) -> Case:
    case = make_case(actor=officer, assigned_officer=officer, channels=["email"])
    HarvestWindow.objects.bulk_create(
        HarvestWindow(
            case=case,
            account=account,
            primary_key=f"key{n}@example.com",
            channel="email",
            start=case.search_from,
            end=case.search_from,
            status=WindowStatus.FAILED if n < failed else WindowStatus.DONE,
            last_error="ServerError: HTTP 503" if n < failed else "",
        )
        for n in range(windows)
    )
    case_change_status(case=case, actor=officer, status="collecting")
    return case


def cost(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.content)


def test_the_case_page_and_progress_cost_the_same_whatever_the_plan(
    officer_client, officer, account
):
    small = collecting_case(officer, account, windows=40, failed=25)  # a full page failed too
    large = collecting_case(officer, account, windows=5000, failed=2500)
    officer_client.get(reverse("cases:list"))  # the session's first request does more
    for name in ("cases:detail", "cases:data", "cases:progress"):
        small_queries, small_bytes = cost(officer_client, reverse(name, args=[small.reference]))
        large_queries, large_bytes = cost(officer_client, reverse(name, args=[large.reference]))
        assert large_queries == small_queries, name
        # The same page but for the digits of the counts.
        assert abs(large_bytes - small_bytes) < 100, (name, small_bytes, large_bytes)

    progress = officer_client.get(reverse("cases:progress", args=[large.reference])).json()
    assert progress["failed_count"] == 2500 and len(progress["failed"]) == 20
    assert (progress["failed_page"], progress["failed_pages"]) == (1, 125)
    assert progress["finished"] == 5000
    last = officer_client.get(
        reverse("cases:progress", args=[large.reference]), {"failed_page": 125}
    ).json()
    assert last["failed_page"] == 125 and len(last["failed"]) == 20
    data_page = reverse("cases:data", args=[large.reference])
    page = officer_client.get(data_page, {"failed_page": "2"}).content.decode()
    assert "Page 2 of 125" in page and "?failed_page=3#failed-windows" in page
    assert officer_client.get(data_page, {"failed_page": "x"}).status_code == 200
