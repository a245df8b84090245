"""Netcore channel activity records as typed objects, and the reading of their dates."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june"]
_MONTH_NAMES += ["july", "august", "september", "october", "november", "december"]
# Abbreviations ("Jul") and full names ("July"), lower case; "Sept" is common enough to accept.
_MONTHS = {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)} | {
    name: n for n, name in enumerate(_MONTH_NAMES, 1)
}
_MONTHS["sept"] = 9
# "23 Jul 2018 @3:33pm", "5 Jan 2025 @12:05am": day, month, year, 12-hour clock, minutes.
_ACTIVITY_DATE = re.compile(
    r"^\s*(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\s*@\s*(\d{1,2}):(\d{2})\s*([AaPp][Mm])\s*$",
    re.ASCII,  # so that \d is 0-9 only, not any script's digits
)


def parse_activity_date(raw: str, zone: ZoneInfo) -> datetime:
    """Read an `activity_date` such as "23 Jul 2018 @3:33pm" as an aware datetime in `zone`.

    Months are English abbreviations (or full names), read without the locale. Raises
    ValueError when the text is not such a date.
    """
    match = _ACTIVITY_DATE.match(raw) if isinstance(raw, str) else None
    if not match:
        raise ValueError(f"not an activity date: {raw!r}")
    day, month_name, year, hour, minute, meridiem = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ValueError(f"unknown month in activity date: {raw!r}")
    hour_12 = int(hour)
    if not 1 <= hour_12 <= 12:
        raise ValueError(f"hour out of range in activity date: {raw!r}")
    # 12am is midnight (0h), 12pm is noon (12h).
    hour_24 = hour_12 % 12 + (12 if meridiem.lower() == "pm" else 0)
    return datetime(int(year), month, int(day), hour_24, int(minute), tzinfo=zone)


@dataclass(frozen=True)
class RecordField:
    """A field of a Netcore activity record: its key in Netcore's JSON, our name for it (on
    ActivityRecord and on the stored event), and how people call it."""

    name: str
    raw_key: str
    label: str
    # Shown among an event's details (the rest are its headline: what, when, which message).
    detail: bool = False
    # The column (CSV) and key (JSON) of the exports, when not `name`.
    export_name: str = ""

    @property
    def column(self) -> str:
        return self.export_name or self.name


# The fields we read from a Netcore record, in the order exports list them. `occurred_at` is not
# among them: it is derived from `activity_date` (kept verbatim as `activity_date_raw`).
RECORD_FIELDS = (
    RecordField(
        "activity_date_raw",
        "activity_date",
        "date as reported",
        export_name="activity_date_as_reported",
    ),
    RecordField("activity", "activity", "activity"),
    RecordField("message_id", "message_id", "message ID", detail=True),
    RecordField("message_name", "msg_name", "message name"),
    RecordField("ip", "ip", "IP address", detail=True),
    RecordField("device", "device", "device", detail=True),
    RecordField("os", "os", "operating system", detail=True),
    RecordField("browser", "browser", "browser", detail=True),
    RecordField("link", "link", "link", detail=True),
)
RECORD_FIELD_NAMES = tuple(f.name for f in RECORD_FIELDS)
# Keys of a raw record that have a field of their own; any other key is kept as an "other field".
KNOWN_RAW_KEYS = frozenset(f.raw_key for f in RECORD_FIELDS)


@dataclass(frozen=True)
class ActivityRecord:
    """One channel activity event as Netcore sent it; `raw` is the whole record as received."""

    activity: str
    message_id: int | str | None
    message_name: str
    occurred_at: datetime | None
    activity_date_raw: str
    ip: str = ""
    device: str = ""
    os: str = ""
    browser: str = ""
    link: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _message_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value)


def record_from_raw(raw: dict[str, Any], zone: ZoneInfo) -> tuple[ActivityRecord, str | None]:
    """Turn one raw record into an ActivityRecord; the second item is a warning, or None.

    A record whose date cannot be read is kept with occurred_at None and a warning.
    """
    date_raw = _text(raw.get("activity_date"))
    warning = None
    try:
        occurred_at = parse_activity_date(date_raw, zone)
    except ValueError:
        occurred_at = None
        warning = f"unreadable activity_date {date_raw!r}: record kept without a time"
    values = {f.name: _text(raw.get(f.raw_key)) for f in RECORD_FIELDS}
    values["activity_date_raw"] = date_raw
    values["message_id"] = _message_id(raw.get("message_id"))
    record = ActivityRecord(occurred_at=occurred_at, raw=raw, **values)
    return record, warning


@dataclass(frozen=True)
class ActivityWords:
    """An activity Netcore reports, in plain words: a short label for lists and filters, and what
    it means, said of the message so that it reads right to an officer and to the subject."""

    label: str
    meaning: str


# Netcore's activity values (lower case) in plain words. A value not here is shown as Netcore
# sent it: unknown activities are still the subject's data.
ACTIVITY_WORDS = {
    "sent": ActivityWords("Sent", "The message was sent."),
    "delivered": ActivityWords("Delivered", "The mail or phone provider accepted the message."),
    "open": ActivityWords("Opened", "The message was opened (an image in the email was loaded)."),
    "click": ActivityWords("Link followed", "A link in the message was followed."),
    "bounce": ActivityWords("Not delivered", "The message could not be delivered."),
    "hardbounce": ActivityWords(
        "Not delivered (permanent)", "The message could not be delivered, permanently."
    ),
    "softbounce": ActivityWords(
        "Not delivered (this time)", "The message could not be delivered this time."
    ),
    "unsubscribe": ActivityWords(
        "Unsubscribed", "The recipient asked to receive no more messages of this kind."
    ),
    "spam": ActivityWords("Reported as spam", "The message was reported as spam."),
    "complaint": ActivityWords("Complaint", "The message was reported as unwanted."),
    "failed": ActivityWords("Sending failed", "Sending the message failed."),
    "dnd": ActivityWords(
        "Not sent (do not disturb)",
        "The message was not sent: the number is on a do-not-disturb list.",
    ),
}


def activity_label(activity: str) -> str:
    """The plain label of an activity, or the activity as Netcore sent it when it is unknown."""
    words = ACTIVITY_WORDS.get(str(activity).strip().lower())
    return words.label if words else str(activity)
