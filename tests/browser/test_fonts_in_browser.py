"""In Chromium: the portal's pages use the report's fonts (served by the portal under its
content security policy), so a subject's name or message in any script shows with real glyphs;
the case page's "Other systems" form works at desktop and phone widths."""

import os

import pytest
from django.urls import reverse

from cases.models import OtherSystem
from tests.browser.test_security_in_browser import csp_violations
from tests.factories import OfficerFactory, make_collected_case, make_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["عرض خاص لك اليوم", "週末セールのお知らせ", "주말 특별 할인", "दिवाली धमाका ऑफ़र"]
NAMES.append("🎉 👍🏽")


def test_the_case_page_uses_our_fonts_for_every_script(live_server, page, sign_in, tmp_path):
    officer = OfficerFactory(username="olivia")
    case = make_collected_case(actor=officer, events=0, subject_name="Ελένη Παπαδοπούλου")
    make_events(case.windows.get(), specs=[{"message_name": name} for name in NAMES])
    OtherSystem.objects.create(name="Shop database", holds="orders and addresses")
    violations = csp_violations(page)
    sign_in(officer)

    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{reverse('cases:data', args=[case.reference])}")
        page.evaluate("document.fonts.ready")
        page.wait_for_function(
            "[...document.fonts].filter(f => f.status === 'loading').length === 0"
        )
        loaded = set(
            page.evaluate(
                "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
            )
        )
        assert {'"DSAR Sans"', '"DSAR Arabic"', '"DSAR CJK"', '"DSAR Devanagari"'} <= {
            f'"{family.strip(chr(34))}"' for family in loaded
        }, loaded
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/case-{width}.png", full_page=True)
    # The big fonts are fetched only for the scripts a page shows (unicode-range).
    page.goto(f"{live_server.url}/cases/")
    page.evaluate("document.fonts.ready")
    families = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert not any("CJK" in family for family in families)
    assert violations == []

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}{reverse('cases:report', args=[case.reference])}")
    form = page.locator("form", has=page.get_by_role("button", name="Save outcomes"))
    form.get_by_label("Shop database: outcome").select_option("not_searched")
    form.get_by_role("button", name="Save outcomes").click()
    assert "Say how it was provided" in page.content()
    form = page.locator("form", has=page.get_by_role("button", name="Save outcomes"))
    form.get_by_label("Shop database: outcome").select_option("not_searched")
    form.get_by_label("Shop database: how it was provided, or why it was not searched").fill(
        "archived in 2019"
    )
    form.get_by_role("button", name="Save outcomes").click()
    page.get_by_text("Other systems recorded.").wait_for()
    assert case.system_checks.get().note == "archived in 2019"
