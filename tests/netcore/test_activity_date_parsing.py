from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from netcore.records import parse_activity_date, record_from_raw

UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("23 Jul 2018 @3:33pm", datetime(2018, 7, 23, 15, 33)),
        ("23 Jul 2018 @11:02am", datetime(2018, 7, 23, 11, 2)),
        ("5 Jan 2025 @12:05am", datetime(2025, 1, 5, 0, 5)),  # 12am is just after midnight
        ("5 Jan 2025 @12:05pm", datetime(2025, 1, 5, 12, 5)),  # 12pm is just after noon
        ("5 Jan 2025 @12:00am", datetime(2025, 1, 5, 0, 0)),
        ("5 Jan 2025 @11:59pm", datetime(2025, 1, 5, 23, 59)),
        ("05 Jan 2025 @1:00am", datetime(2025, 1, 5, 1, 0)),
        ("31 Dec 2024 @09:07PM", datetime(2024, 12, 31, 21, 7)),
        ("1 Sep 2024 @1:15pm", datetime(2024, 9, 1, 13, 15)),
        ("29 Feb 2024 @6:30am", datetime(2024, 2, 29, 6, 30)),
        ("  7 jun 2023  @ 4:45 pm ", datetime(2023, 6, 7, 16, 45)),
    ],
)
def test_activity_dates_are_read_on_the_12_hour_clock(raw, expected):
    assert parse_activity_date(raw, UTC_ZONE) == expected.replace(tzinfo=UTC_ZONE)


def test_activity_dates_are_in_the_account_timezone():
    athens = parse_activity_date("23 Jul 2018 @3:33pm", ZoneInfo("Europe/Athens"))
    kolkata = parse_activity_date("5 Jan 2025 @12:05am", ZoneInfo("Asia/Kolkata"))

    assert athens.astimezone(UTC) == datetime(2018, 7, 23, 12, 33, tzinfo=UTC)  # summer: +3
    assert kolkata.astimezone(UTC) == datetime(2025, 1, 4, 18, 35, tzinfo=UTC)  # +5:30


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "23 Jul 2018",
        "23 Jul 2018 @15:33",
        "23 Jul 2018 @13:33pm",
        "23 Jul 2018 @0:33am",
        "23 Jul 2018 @3:60pm",
        "31 Feb 2024 @3:33pm",
        "23 Jux 2018 @3:33pm",
        "2018-07-23T15:33:00Z",
        "२३ Jul 2018 @3:33pm",  # Devanagari digits are not Netcore's
    ],
)
def test_unreadable_activity_dates_raise_value_error(raw):
    with pytest.raises(ValueError):
        parse_activity_date(raw, UTC_ZONE)


def test_a_record_with_an_unreadable_date_is_kept_with_a_warning():
    raw = {"activity": "open", "message_id": 7, "msg_name": "x", "activity_date": "soon"}

    record, warning = record_from_raw(raw, UTC_ZONE)

    assert record.occurred_at is None
    assert record.activity_date_raw == "soon"
    assert record.raw == raw
    assert "soon" in warning


def test_a_record_without_a_date_is_kept_with_a_warning():
    record, warning = record_from_raw({"activity": "sent"}, UTC_ZONE)

    assert record.occurred_at is None
    assert record.activity_date_raw == ""
    assert warning
