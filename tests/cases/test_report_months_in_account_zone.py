"""The report's months and period bounds are the account's dates, like the windows': an event
just after local midnight on the first day of the period belongs to that month, not the one
before in UTC."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.reports.content import account_zone, channel_summaries
from netcore.services import account_create
from tests.factories import make_case, make_events, make_window

pytestmark = pytest.mark.django_db
KOLKATA = ZoneInfo("Asia/Kolkata")


def test_months_and_bounds_follow_the_account_zone():
    account = account_create(
        name="India", region="in", api_key="test-key-0123456789", timezone="Asia/Kolkata"
    )
    case = make_case(channels=["email"], search_from=date(2026, 2, 1), search_to=date(2026, 2, 7))
    window = make_window(case, account=account)
    just_after_midnight = datetime(2026, 2, 1, 0, 30, tzinfo=KOLKATA)  # 31 Jan 19:00 UTC
    make_events(window, specs=[{"occurred_at": just_after_midnight}])

    zone = account_zone(case)
    (summary,) = channel_summaries(case, zone)

    assert zone == KOLKATA
    assert "<title>Feb 2026: 1</title>" in summary.chart_svg
    assert "Jan" not in summary.chart_svg
    assert summary.first.astimezone(zone).date() == date(2026, 2, 1)
