"""Legal deadlines for access requests (GDPR Art. 12(3)).

One calendar month from receipt: the same day number in the next month, or that month's last day
when it has no such day. One extension by two further months, counted the same way from receipt.
"""

import calendar
from datetime import date

RESPONSE_MONTHS = 1
EXTENDED_RESPONSE_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The same day number `months` later, or that month's last day when it is shorter."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date_for(received_on: date) -> date:
    return add_months(received_on, RESPONSE_MONTHS)


def extended_due_date_for(received_on: date) -> date:
    return add_months(received_on, EXTENDED_RESPONSE_MONTHS)
