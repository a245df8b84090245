"""Deadline reminders: one email a day per officer, listing their open cases due within seven
days and overdue ones; a case is never in two reminders on the same day."""

import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.jobs import reminders
from cases.models import Case, DeadlineReminder
from cases.services import case_change_status
from tests.beat_schedule import job, next_runs
from tests.factories import OfficerFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://dsar.example.com"


@pytest.fixture
def today():
    return timezone.localdate()


def officer_named(username: str):
    return OfficerFactory(username=username, email=f"{username}@corp.example", first_name="Olga")


def case_due_in(days: int, officer, **extra) -> Case:
    case = make_case(assigned_officer=officer, subject_email="subject@example.net", **extra)
    Case.objects.filter(pk=case.pk).update(due_date=timezone.localdate() + timedelta(days=days))
    case.refresh_from_db()
    return case


def test_due_soon_and_overdue_cases_in_one_email_to_their_officer(today):
    olga = officer_named("olga")
    overdue, today_due, soon = case_due_in(-2, olga), case_due_in(0, olga), case_due_in(7, olga)
    later = case_due_in(8, olga)

    assert reminders.send_deadline_reminders(today=today) == 3

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olga@corp.example"]
    assert message.subject == "DSAR deadlines: 1 overdue, 2 due within 7 days"
    body = message.body
    assert f"{overdue.reference}: was due" in body and "(2 days overdue)" in body
    assert f"{today_due.reference}: due" in body and "(today)" in body
    assert f"{soon.reference}: due" in body and "(7 days left)" in body
    assert later.reference not in body
    assert f"https://dsar.example.com/cases/{soon.reference}/" in body
    # Officers' mail is no place for the subject's personal data.
    assert "subject@example.net" not in body and soon.subject_name not in body


def test_finished_unassigned_and_inactive_officers_cases_are_left_out(today, officer):
    olga = officer_named("olga")
    finished = case_due_in(1, olga)
    case_change_status(case=finished, actor=None, status="rejected", reason="Not a DSAR")
    case_due_in(1, None)
    gone = officer_named("gone")
    gone.is_active = False
    gone.save()
    case_due_in(1, gone)
    no_mail = OfficerFactory(username="nomail", email="")
    case_due_in(1, no_mail)

    assert reminders.send_deadline_reminders(today=today) == 0
    assert mail.outbox == []


def test_once_per_case_per_day_and_again_the_next_day(today):
    olga = officer_named("olga")
    case = case_due_in(3, olga)

    assert reminders.send_deadline_reminders(today=today) == 1
    assert reminders.send_deadline_reminders(today=today) == 0
    call_command("send_reminders")
    assert len(mail.outbox) == 1
    assert DeadlineReminder.objects.get().case == case

    assert reminders.send_deadline_reminders(today=today + timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_a_case_claimed_by_another_run_is_not_sent_again(today, monkeypatch):
    olga = officer_named("olga")
    first, second = case_due_in(1, olga), case_due_in(2, olga)
    # Another run read the same cases and claimed the first between our read and our claim.
    stale = list(reminders.cases_due_for_reminder(today))
    DeadlineReminder.objects.create(case=first, day=today, officer=olga)
    monkeypatch.setattr(reminders, "cases_due_for_reminder", lambda day: stale)

    assert reminders.send_deadline_reminders(today=today) == 1

    assert first.reference not in mail.outbox[0].body
    assert second.reference in mail.outbox[0].body
    assert DeadlineReminder.objects.filter(day=today).count() == 2


def test_one_email_per_officer(today):
    olga, oscar = officer_named("olga"), officer_named("oscar")
    case_due_in(1, olga)
    case_due_in(-1, oscar)
    case_due_in(5, oscar)

    assert reminders.send_deadline_reminders(today=today) == 3

    assert sorted(m.to[0] for m in mail.outbox) == ["olga@corp.example", "oscar@corp.example"]


def test_a_failed_send_is_tried_again_on_the_next_run(today, monkeypatch):
    olga = officer_named("olga")
    case_due_in(1, olga)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", refuse)
        assert reminders.send_deadline_reminders(today=today) == 0
    assert not DeadlineReminder.objects.exists()

    assert reminders.send_deadline_reminders(today=today) == 1
    assert len(mail.outbox) == 1


def test_beat_asks_every_hour_from_seven_in_the_morning():
    zone = ZoneInfo(settings.TIME_ZONE)
    runs = next_runs("deadline-reminders", datetime(2026, 6, 10, 6, 30, tzinfo=zone), 18)
    assert [f"{run:%d %H:%M}" for run in runs] == [
        *(f"10 {hour:02d}:00" for hour in range(7, 24)),
        "11 07:00",
    ]


def test_the_job_beat_runs_sends_them(today):
    case_due_in(1, officer_named("olga"))
    assert job("deadline-reminders").apply().get() == 1
    assert len(mail.outbox) == 1
