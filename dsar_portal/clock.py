"""The portal's one clock: how every time and day is shown to people, and how a typed day is read.

- Every time is shown in DJANGO_TIME_ZONE (Django's current time zone) with its zone's name, e.g.
  "1 May 2026, 04:18 BST"; the same format in the portal, its CSV files and the admin
  (`dsar_portal/formats/`).
- Every day is shown as "20 Nov 2026" and typed the same way (ISO "2026-11-20" is read too),
  whatever the browser's or the server's locale: month names are English, read from our own table
  rather than the C library's locale.
"""

import re
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_FULL_MONTHS += ("september", "october", "november", "december")
_MONTH_NUMBERS = {m.lower(): n for n, m in enumerate(MONTHS, 1)} | {
    m: n for n, m in enumerate(_FULL_MONTHS, 1)
}
_MONTH_NUMBERS["sept"] = 9

# The format people are told to type, with an example.
DAY_FORMAT_HINT = "day, month, year, like 20 Nov 2026"
# Django's date-filter format for the same shape ("j M Y"), for templates and the admin.
DAY_FORMAT = "j M Y"
TIME_FORMAT = "j M Y, H:i T"

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[\s\-.]+([A-Za-z]{3,9})\.?[\s\-.,]+(\d{4})$", re.ASCII)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)


def format_day(day: date) -> str:
    """'20 Nov 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def parse_day(text: str) -> date:
    """Read '20 Nov 2026', '20 November 2026' or '2026-11-20'; raise ValueError for anything
    else (numeric forms such as 03/04/2026 mean different days in different countries)."""
    text = " ".join(str(text).split())
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        day, month_name, year = match.groups()
        month = _MONTH_NUMBERS.get(month_name.lower())
        if month is None:
            raise ValueError(f"unknown month {month_name!r}")
        return date(int(year), month, int(day))
    match = _ISO_DAY.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    raise ValueError(f"not a day: {text!r}")


def zone_name() -> str:
    """The zone every time is shown in (DJANGO_TIME_ZONE)."""
    return settings.TIME_ZONE


def format_time(moment: datetime) -> str:
    """'1 May 2026, 04:18 BST': the moment in DJANGO_TIME_ZONE, with the zone's abbreviation."""
    local = timezone.localtime(moment)
    return f"{format_day(local.date())}, {local:%H:%M} {local.tzname() or zone_name()}"
