import pytest

from cases.deadlines import add_months, due_date_for, extended_due_date_for
from tests.factories import d


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-15", "2026-02-15"),
        ("2026-01-31", "2026-02-28"),
        ("2028-01-31", "2028-02-29"),  # leap year
        ("2026-03-31", "2026-04-30"),
        ("2026-12-15", "2027-01-15"),
        ("2026-12-31", "2027-01-31"),
        ("2026-02-28", "2026-03-28"),
        ("2028-02-29", "2028-03-29"),
        ("2026-05-31", "2026-06-30"),
    ],
)
def test_due_one_calendar_month_after_receipt(received, due):
    assert due_date_for(d(received)) == d(due)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-15", "2026-04-15"),
        ("2026-11-30", "2027-02-28"),
        ("2027-11-30", "2028-02-29"),  # leap year
        ("2026-12-31", "2027-03-31"),
        ("2026-03-31", "2026-06-30"),
        ("2026-10-31", "2027-01-31"),
    ],
)
def test_extended_due_three_months_after_receipt(received, due):
    assert extended_due_date_for(d(received)) == d(due)


def test_add_months_crosses_several_years():
    assert add_months(d("2024-02-29"), 48) == d("2028-02-29")
    assert add_months(d("2024-02-29"), 12) == d("2025-02-28")
