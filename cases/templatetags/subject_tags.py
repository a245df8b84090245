"""Days, months and numbers in the subject's language, for the documents the subject reads (the
report, the emails, the download pages); cases/languages.py writes them."""

from datetime import date, datetime

from django import template

from cases import languages

register = template.Library()


def _day(value: date | datetime) -> date:
    # A moment's day in its own zone: convert it first (the tz library's `localtime` for
    # DJANGO_TIME_ZONE, `timezone:zone` for the report's zone).
    return value.date() if isinstance(value, datetime) else value


@register.filter
def long_day(value: date | datetime | None) -> str:
    """'20 November 2026' in the current language."""
    return languages.long_day(_day(value)) if value else ""


@register.filter
def short_day(value: date | datetime | None) -> str:
    """'20 Nov 2026' in the current language."""
    return languages.short_day(_day(value)) if value else ""


@register.filter
def short_time(value: datetime | None) -> str:
    """'20 Nov 2026 14:05' (already in the zone wanted: use the tz library's `timezone` first)."""
    if not value:
        return ""
    return f"{languages.short_day(value.date())} {value:%H:%M}"


@register.filter
def number(value: int | None) -> str:
    return "" if value is None else languages.number(value)
