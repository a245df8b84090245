"""The report's months and period bounds are the report's zone (the case's), like every time in
it: an event just after local midnight on the first day of the period belongs to that month,
not to the month before (as it would in UTC, or in the account's zone when that is UTC)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.reports.content import channel_summaries, report_zone
from netcore.services import account_create
from tests.factories import make_case, make_events, make_window

pytestmark = pytest.mark.django_db
KOLKATA = ZoneInfo("Asia/Kolkata")


def test_months_and_bounds_follow_the_report_zone():
    # Netcore reports this account's dates in UTC; the subject lives in Kolkata.
    account = account_create(name="EU", region="eu", api_key="test-key-0123456789")
    case = make_case(
        channels=["email"],
        search_from=date(2026, 2, 1),
        search_to=date(2026, 2, 7),
        subject_timezone="Asia/Kolkata",
    )
    window = make_window(case, account=account)
    just_after_midnight = datetime(2026, 2, 1, 0, 30, tzinfo=KOLKATA)  # 31 Jan 19:00 UTC
    make_events(window, specs=[{"occurred_at": just_after_midnight}])

    zone = report_zone(case)
    (summary,) = channel_summaries(case, zone)

    assert zone == KOLKATA
    assert "<title>Feb 2026: 1</title>" in summary.chart_svg
    assert "Jan" not in summary.chart_svg
    assert summary.month_rows == [(2026, [None, 1, *[None] * 10], 1)]
    assert summary.first.astimezone(zone).date() == date(2026, 2, 1)


def test_the_zone_defaults_to_the_organisation_profile():
    from cases.models import OrganisationProfile

    profile = OrganisationProfile.load()
    profile.default_timezone = "America/Sao_Paulo"
    profile.save()
    case = make_case(channels=["email"])
    assert report_zone(case) == ZoneInfo("America/Sao_Paulo")
