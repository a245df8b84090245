"""Splitting a date range into the windows Netcore accepts (at most seven days each)."""

from datetime import date, datetime, timedelta

MAX_WINDOW_DAYS = 7


def split_into_windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """Split the inclusive range start..end into inclusive windows of at most `days` days.

    The windows are in order, contiguous and non-overlapping, and cover the range exactly; only
    the last one may be shorter. Raises ValueError when end is before start or `days` is not
    between 1 and 7.
    """
    # A datetime is a date too, but its time would be silently dropped.
    for value in (start, end):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"start and end must be dates, not {value!r}")
    if type(days) is not int or not 1 <= days <= MAX_WINDOW_DAYS:
        raise ValueError(f"window length must be 1 to {MAX_WINDOW_DAYS} days, not {days!r}")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    windows = []
    window_start = start
    while window_start <= end:
        window_end = min(window_start + timedelta(days=days - 1), end)
        windows.append((window_start, window_end))
        window_start = window_end + timedelta(days=1)
    return windows


def count_windows(start: date, end: date, days: int) -> int:
    """How many windows `split_into_windows(start, end, days)` makes, without making them."""
    return -(-((end - start).days + 1) // days)
