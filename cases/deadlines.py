"""Legal deadlines for access requests, under the rules of each regime (cases/regimes.py).

Plain functions of dates: no database, no clock. A due date is the regime's period from receipt
(the day of receipt not counted), or its extended period once the case is extended, plus the days
the clock did not count while the controller waited for a clarification it asked for.

GDPR (the default) is one calendar month from receipt: the same day number in the next month, or
that month's last day when it has no such day; one extension makes it three months from receipt.
"""

import calendar
from datetime import date, timedelta

from .regimes import GDPR, REGIMES, Period


class DeadlineRuleError(ValueError):
    """A deadline the regime's law does not provide for (no extension, a period beyond its
    maximum)."""


def add_months(day: date, months: int) -> date:
    """The same day number `months` later, or that month's last day when it is shorter."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, period: Period) -> date:
    """The last day of `period` counted from `start`, that day not counted."""
    return add_months(start, period.months) + timedelta(days=period.days)


def due_date_for(
    received_on: date,
    regime: str = GDPR,
    *,
    days_not_counted: int = 0,
    response_days: int | None = None,
) -> date:
    """The first deadline. `response_days` is the period the organisation publishes where the
    regime lets it choose (DPDP), never beyond the regime's maximum; elsewhere it is ignored."""
    rules = REGIMES[regime]
    period = rules.response
    if rules.published_period and response_days is not None:
        if not 1 <= response_days <= rules.response.days:
            raise DeadlineRuleError(
                f"{rules.label}: the published period must be 1 to {rules.response.days} days "
                f"({rules.response_basis}), not {response_days}."
            )
        period = Period(days=response_days)
    return period_end(received_on, period) + timedelta(days=days_not_counted)


def extended_due_date_for(
    received_on: date, regime: str = GDPR, *, days_not_counted: int = 0
) -> date:
    """The deadline once extended: the regime's extended period from receipt."""
    rules = REGIMES[regime]
    if rules.extended_response is None:
        raise DeadlineRuleError(f"{rules.label} provides no extension of the deadline.")
    return period_end(received_on, rules.extended_response) + timedelta(days=days_not_counted)


def days_stopped(asked_on: date, answered_on: date) -> int:
    """Days that do not count while a clarification was awaited: from the day it was asked for to
    the day the answer arrived, both included (Art. 12A(5)(b) UK GDPR)."""
    return (answered_on - asked_on).days + 1
