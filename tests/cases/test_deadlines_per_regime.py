"""Each regime's deadline and extension, at month ends and in leap years, against dates worked out
by hand and, for every day of a century, against dateutil's calendar arithmetic."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from cases.deadlines import (
    DeadlineRuleError,
    days_stopped,
    due_date_for,
    extended_due_date_for,
)
from cases.regimes import CCPA, DPDP, GDPR, LGPD, REGIMES, UK_GDPR
from tests.factories import d


@pytest.mark.parametrize("regime", [GDPR, UK_GDPR])
@pytest.mark.parametrize(
    ("received", "due", "extended"),
    [
        ("2026-01-15", "2026-02-15", "2026-04-15"),
        ("2026-01-31", "2026-02-28", "2026-04-30"),
        ("2028-01-31", "2028-02-29", "2028-04-30"),  # leap year
        ("2027-11-30", "2027-12-30", "2028-02-29"),  # extended into a leap February
        ("2026-11-30", "2026-12-30", "2027-02-28"),
        ("2026-12-31", "2027-01-31", "2027-03-31"),
        ("2028-02-29", "2028-03-29", "2028-05-29"),
        ("2026-03-31", "2026-04-30", "2026-06-30"),
    ],
)
def test_gdpr_and_uk_gdpr_one_calendar_month_extended_to_three(regime, received, due, extended):
    assert due_date_for(d(received), regime) == d(due)
    assert extended_due_date_for(d(received), regime) == d(extended)


@pytest.mark.parametrize(
    ("received", "due", "extended"),
    [
        ("2026-01-01", "2026-02-15", "2026-04-01"),
        ("2028-01-16", "2028-03-01", "2028-04-15"),  # through 29 February
        ("2027-01-16", "2027-03-02", "2027-04-16"),  # the same days in a common year
        ("2026-12-31", "2027-02-14", "2027-03-31"),  # across the year's end
        ("2028-02-15", "2028-03-31", "2028-05-15"),
        ("2027-02-15", "2027-04-01", "2027-05-16"),
    ],
)
def test_ccpa_45_calendar_days_extended_once_to_90(received, due, extended):
    assert due_date_for(d(received), CCPA) == d(due)
    assert extended_due_date_for(d(received), CCPA) == d(extended)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-02-14", "2026-03-01"),
        ("2028-02-14", "2028-02-29"),  # leap year
        ("2028-02-29", "2028-03-15"),
        ("2026-12-20", "2027-01-04"),
        ("2026-01-31", "2026-02-15"),
    ],
)
def test_lgpd_15_days_for_the_complete_answer(received, due):
    assert due_date_for(d(received), LGPD) == d(due)


@pytest.mark.parametrize(
    ("received", "published", "due"),
    [
        ("2026-01-01", None, "2026-04-01"),  # the Rules' ninety-day maximum
        ("2028-01-01", None, "2028-03-31"),  # leap year
        ("2028-11-30", None, "2029-02-28"),
        ("2028-02-01", 30, "2028-03-02"),  # a published thirty days, leap year
        ("2027-02-01", 30, "2027-03-03"),
        ("2026-05-31", 90, "2026-08-29"),
    ],
)
def test_dpdp_the_published_period_at_most_ninety_days(received, published, due):
    assert due_date_for(d(received), DPDP, response_days=published) == d(due)


@pytest.mark.parametrize("published", [0, 91, 365])
def test_dpdp_refuses_a_published_period_beyond_the_rules(published):
    with pytest.raises(DeadlineRuleError, match="1 to 90 days"):
        due_date_for(d("2026-01-01"), DPDP, response_days=published)


def test_a_published_period_means_nothing_where_the_law_fixes_it():
    assert due_date_for(d("2026-01-01"), GDPR, response_days=10) == d("2026-02-01")


@pytest.mark.parametrize("regime", [DPDP, LGPD])
def test_no_extension_where_the_law_gives_none(regime):
    with pytest.raises(DeadlineRuleError, match="no extension"):
        extended_due_date_for(d("2026-01-01"), regime)


@pytest.mark.parametrize(
    ("asked", "answered", "days"),
    [
        ("2026-02-10", "2026-02-10", 1),  # asked and answered the same day: that day is out
        ("2028-02-28", "2028-03-01", 3),  # 28 and 29 February and 1 March
        ("2027-02-28", "2027-03-01", 2),
        ("2026-12-20", "2027-01-05", 17),
    ],
)
def test_days_stopped_count_the_day_asked_and_the_day_answered(asked, answered, days):
    assert days_stopped(d(asked), d(answered)) == days


@pytest.mark.parametrize(
    ("received", "not_counted", "due", "extended"),
    [
        ("2028-01-31", 11, "2028-03-11", "2028-05-11"),
        ("2026-01-31", 2, "2026-03-02", "2026-05-02"),
        ("2026-12-15", 17, "2027-02-01", "2027-04-01"),
    ],
)
def test_days_not_counted_move_the_uk_deadline_and_its_extension(
    received, not_counted, due, extended
):
    assert due_date_for(d(received), UK_GDPR, days_not_counted=not_counted) == d(due)
    assert extended_due_date_for(d(received), UK_GDPR, days_not_counted=not_counted) == d(extended)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(days)
def test_every_day_agrees_with_dateutil(received):
    for code, rules in REGIMES.items():
        if code in (GDPR, UK_GDPR):
            assert due_date_for(received, code) == received + relativedelta(months=1)
            assert extended_due_date_for(received, code) == received + relativedelta(months=3)
        else:
            assert due_date_for(received, code) == received + timedelta(days=rules.response.days)
    assert extended_due_date_for(received, CCPA) == received + timedelta(days=90)


def test_the_existing_gdpr_deadline_is_the_default():
    received = d("2026-01-31")
    assert due_date_for(received) == due_date_for(received, GDPR) == d("2026-02-28")
    assert extended_due_date_for(received) == d("2026-04-30")


def test_every_regime_cites_its_law():
    for rules in REGIMES.values():
        assert rules.response_basis and rules.law and rules.deadline_rule
        assert bool(rules.extension_basis) == rules.extension
        assert bool(rules.clock_basis) == rules.clock_stops
    assert [code for code, rules in REGIMES.items() if rules.clock_stops] == [UK_GDPR]
    assert set(REGIMES) == {"gdpr", "uk-gdpr", "dpdp", "ccpa", "lgpd"}
