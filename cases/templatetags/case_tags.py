from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("includes/days_left.html")
def days_left_badge(case, today=None):
    """Days left before the legal deadline: red when overdue, amber within a week."""
    if case.is_finished:
        return {"finished": True}
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
