from django import template
from django.utils import timezone
from django.utils.html import format_html

from dsar_portal import clock
from netcore.records import activity_label

from ..workflow import ANSWERED, CaseStatus

register = template.Library()


@register.inclusion_tag("includes/days_left.html")
def days_left_badge(case, today=None):
    """Days left before the legal deadline: red when overdue, amber within a week. A finished
    case says how it ended: answered (sent or closed), or that no deadline runs any more."""
    if case.is_finished:
        answered = case.status in ANSWERED
        return {
            "finished": True,
            "text": "Answered" if answered else "No deadline",
            "title": "The subject has their answer"
            if answered
            else f"{CaseStatus(case.status).label}: the deadline no longer runs",
        }
    days = case.days_left(today or timezone.localdate())
    if case.clock_paused_on:
        text = f"Clock stopped, {days} day{'s' if days != 1 else ''} left"
        return {"finished": False, "tone": "muted", "text": text, "due_date": case.due_date}
    if days < 0:
        tone, text = "danger", f"{-days} day{'s' if days != -1 else ''} overdue"
    elif days == 0:
        tone, text = "warning", "Due today"
    else:
        tone = "warning" if days <= 7 else "ok"
        text = f"{days} day{'s' if days != 1 else ''} left"
    return {"finished": False, "tone": tone, "text": text, "due_date": case.due_date}


@register.inclusion_tag("includes/regime_badge.html")
def regime_badge(case):
    """The law the case is answered under."""
    return {"regime": case.regime_rules}


@register.inclusion_tag("includes/status_badge.html")
def status_badge(case):
    return {"status": case.status, "label": case.get_status_display()}


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context, page, label="Pages"):
    return {"page": page, "query": context.get("query", ""), "label": label}


@register.filter
def person(user, empty="—"):
    """A user's full name, else username; `empty` when there is no user."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()


@register.filter
def when(moment):
    """A time as the portal shows every time: in DJANGO_TIME_ZONE, with its zone."""
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), clock.format_time(local))


@register.filter
def day(value):
    """A day as the portal shows (and reads) every day: '20 Nov 2026'."""
    if not value:
        return "—"
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), clock.format_day(value))


@register.filter
def activity(value):
    """A Netcore activity in plain words (netcore/records.py), or as Netcore sent it."""
    return activity_label(value)
