"""Extending a deadline through the service, per regime, on the last allowed day and the day
after, in leap years and at month ends: GDPR and UK GDPR to three months from receipt, CCPA by 45
days with the consumer told within the first 45; LGPD and DPDP have no extension."""

import pytest
import time_machine

from cases import services
from cases.services import CaseRuleError
from tests.factories import d, make_case

pytestmark = pytest.mark.django_db


def on(day: str):
    return time_machine.travel(f"{day} 12:00 +0000", tick=False)


def logged(regime: str, received: str):
    with on(received):
        return make_case(regime=regime, received_on=d(received))


def extend(case, today: str, told: str | None = None):
    with on(today):
        return services.case_extend_deadline(
            case=case, actor=None, reason="Several systems", subject_told_on=d(told or today)
        )


@pytest.mark.parametrize(
    ("regime", "received", "last_day", "extended"),
    [
        ("gdpr", "2027-11-30", "2027-12-30", "2028-02-29"),
        ("gdpr", "2026-01-31", "2026-02-28", "2026-04-30"),
        ("uk-gdpr", "2028-01-31", "2028-02-29", "2028-04-30"),
        ("uk-gdpr", "2026-12-31", "2027-01-31", "2027-03-31"),
        ("ccpa", "2028-01-16", "2028-03-01", "2028-04-15"),
        ("ccpa", "2026-12-31", "2027-02-14", "2027-03-31"),
    ],
)
def test_extended_on_the_last_day_of_the_first_period(regime, received, last_day, extended):
    case = logged(regime, received)
    assert case.due_date == d(last_day)
    extend(case, last_day)
    case.refresh_from_db()
    assert case.due_date == d(extended)
    assert case.original_due_date == d(last_day)
    entry = case.audit_entries.last()
    assert entry.action == "extended"
    assert (entry.details["old_due_date"], entry.details["new_due_date"]) == (last_day, extended)


@pytest.mark.parametrize(
    ("regime", "received", "day_after", "period"),
    [
        ("gdpr", "2027-11-30", "2027-12-31", "month"),
        ("uk-gdpr", "2028-01-31", "2028-03-01", "month"),
        ("ccpa", "2028-01-16", "2028-03-02", "45 days"),
    ],
)
def test_no_extension_once_the_first_period_has_passed(regime, received, day_after, period):
    case = logged(regime, received)
    message = f"has passed; an extension must be made within the first {period}"
    with pytest.raises(CaseRuleError, match=message):
        extend(case, day_after, told=received)
    case.refresh_from_db()
    assert case.extended_on is None and case.audit_length == 1


def test_the_consumer_must_be_told_within_the_first_45_days():
    case = logged("ccpa", "2028-01-16")
    with pytest.raises(CaseRuleError, match="told within the first 45 days after receipt"):
        extend(case, "2028-02-20", told="2028-01-15")
    extend(case, "2028-02-20", told="2028-01-16")  # the day of receipt itself will do
    case.refresh_from_db()
    assert case.due_date == d("2028-04-15")


def test_only_one_ccpa_extension():
    case = logged("ccpa", "2026-03-01")
    extend(case, "2026-03-10")
    with pytest.raises(CaseRuleError, match="already been extended"):
        extend(case, "2026-03-11")


@pytest.mark.parametrize("regime", ["lgpd", "dpdp"])
def test_lgpd_and_dpdp_have_no_extension(regime):
    case = logged(regime, "2028-02-14")
    due = case.due_date
    with pytest.raises(CaseRuleError, match="provides no extension"):
        extend(case, "2028-02-15")
    case.refresh_from_db()
    assert (case.due_date, case.extended_on, case.audit_length) == (due, None, 1)
