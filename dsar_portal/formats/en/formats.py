"""Dates and times as the portal shows them (dsar_portal/clock.py), for Django's own rendering:
the admin's lists and pages, and templates that print a date or time without a format."""

from dsar_portal import clock

DATE_FORMAT = clock.DAY_FORMAT
SHORT_DATE_FORMAT = clock.DAY_FORMAT
DATETIME_FORMAT = clock.TIME_FORMAT
SHORT_DATETIME_FORMAT = clock.TIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
# The admin's date inputs show the first format and read all of them ("20 Nov 2026" first).
DATE_INPUT_FORMATS = ["%d %b %Y", "%Y-%m-%d", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
FIRST_DAY_OF_WEEK = 1
