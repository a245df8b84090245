"""Deadline reminders: each day, an officer gets one email listing their open cases that are due
within REMINDER_DAYS_AHEAD days or overdue.

A case is in at most one reminder a day, however often and wherever the job runs: a
DeadlineReminder row, unique per (case, day), is claimed before the email goes out, and given
back if sending fails so a later run that day tries again. Beat runs the job hourly from
REMINDER_HOUR, so a beat that was down at that hour still sends the day's reminders.
"""

import logging
import smtplib
from collections import defaultdict
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, DeadlineReminder

logger = logging.getLogger(__name__)


def cases_due_for_reminder(today: date) -> QuerySet[Case]:
    """Open cases with an active officer with an email, due within the window or overdue, not
    yet reminded about today; not while the clock is stopped for a clarification."""
    return (
        Case.objects.clock_running()
        .filter(
            assigned_officer__is_active=True,
            due_date__lte=today + timedelta(days=settings.REMINDER_DAYS_AHEAD),
        )
        .exclude(assigned_officer__email="")
        .exclude(reminders__day=today)
        .select_related("assigned_officer")
        .order_by("due_date", "reference")
    )


def _claim(case: Case, today: date) -> bool:
    """Record the reminder about `case` today; False when another run already has."""
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(case=case, day=today, officer=case.assigned_officer)
    except IntegrityError:
        return False
    return True


def _message(officer, cases: list[Case], today: date) -> EmailMessage:
    overdue = [c for c in cases if c.due_date < today]
    due_soon = [c for c in cases if c.due_date >= today]
    parts = []
    if overdue:
        parts.append(f"{len(overdue)} overdue")
    if due_soon:
        parts.append(f"{len(due_soon)} due within {settings.REMINDER_DAYS_AHEAD} days")
    base = settings.PORTAL_BASE_URL.rstrip("/")
    rows = [
        {
            "case": c,
            "days_left": c.days_left(today),
            "days": abs(c.days_left(today)),
            "url": base + reverse("cases:detail", args=[c.reference]),
        }
        for c in cases
    ]
    body = render_to_string(
        "cases/reminder_email.txt",
        {
            "officer": officer,
            "overdue": [r for r in rows if r["days_left"] < 0],
            "due_soon": [r for r in rows if r["days_left"] >= 0],
            "days_ahead": settings.REMINDER_DAYS_AHEAD,
            "dashboard_url": base + reverse("home"),
        },
    )
    return EmailMessage(
        subject=f"DSAR deadlines: {', '.join(parts)}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[officer.email],
    )


def send_deadline_reminders(*, today: date | None = None) -> int:
    """Send today's reminders; return the number of cases reminded about."""
    today = today or timezone.localdate()
    by_officer: dict = defaultdict(list)
    for case in cases_due_for_reminder(today):
        by_officer[case.assigned_officer].append(case)
    reminded = 0
    for officer, cases in by_officer.items():
        claimed = [case for case in cases if _claim(case, today)]
        if not claimed:
            continue
        try:
            _message(officer, claimed, today).send()
        except (smtplib.SMTPException, OSError) as exc:
            # Give the claims back: the next run today tries again.
            DeadlineReminder.objects.filter(case__in=claimed, day=today).delete()
            logger.warning(
                "deadline reminder to officer #%s not sent: %s", officer.pk, type(exc).__name__
            )
            continue
        reminded += len(claimed)
        logger.info("deadline reminder to officer #%s: %d cases", officer.pk, len(claimed))
    return reminded


@shared_task(name="cases.tasks.deadline_reminders_task", ignore_result=True)
def deadline_reminders_task() -> int:
    return send_deadline_reminders()
