import itertools
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcore.windows import split_into_windows

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(start=dates, length=st.integers(min_value=0, max_value=800), days=st.integers(1, 7))
def test_windows_cover_the_range_exactly_contiguously_and_without_overlap(start, length, days):
    end = start + timedelta(days=length)
    windows = split_into_windows(start, end, days)

    assert windows[0][0] == start
    assert windows[-1][1] == end
    for window_start, window_end in windows:
        assert window_start <= window_end
        assert (window_end - window_start).days + 1 <= days
    for (_, previous_end), (next_start, _) in itertools.pairwise(windows):
        assert next_start == previous_end + timedelta(days=1)
    assert sum((e - s).days + 1 for s, e in windows) == length + 1
    # Only the last window may be short, so the count is the minimum possible.
    assert len(windows) == -(-(length + 1) // days)


def test_a_single_day_is_one_window():
    assert split_into_windows(date(2025, 3, 1), date(2025, 3, 1), 7) == [
        (date(2025, 3, 1), date(2025, 3, 1))
    ]


def test_windows_cross_month_and_leap_day():
    assert split_into_windows(date(2024, 2, 26), date(2024, 3, 5), 7) == [
        (date(2024, 2, 26), date(2024, 3, 3)),
        (date(2024, 3, 4), date(2024, 3, 5)),
    ]


@pytest.mark.parametrize("days", [0, 8, -1, 7.0, "7", None])
def test_window_length_outside_1_to_7_is_refused(days):
    with pytest.raises(ValueError):
        split_into_windows(date(2025, 1, 1), date(2025, 1, 31), days)


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        split_into_windows(date(2025, 1, 2), date(2025, 1, 1), 7)


def test_datetimes_are_refused():
    with pytest.raises(ValueError, match="must be dates"):
        split_into_windows(datetime(2025, 1, 1), date(2025, 1, 2), 7)
