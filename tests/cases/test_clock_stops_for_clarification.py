"""UK GDPR Art. 12A(5): while we wait for a clarification we asked the subject for, the clock
stops; the days from asking to the answer, both included, do not count, for the deadline and for
the extension notice alike. Stopping and restarting are recorded, audited with the old and new due
dates, and move the due date; other regimes have no such pause."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.audit import verify_chain
from cases.dashboard import dashboard_figures
from cases.jobs.reminders import cases_due_for_reminder
from cases.models import Case
from cases.services import CaseRuleError
from tests.factories import OfficerFactory, d, make_case

pytestmark = pytest.mark.django_db


def on(day: str):
    return time_machine.travel(f"{day} 12:00 +0000", tick=False)


def uk_case(received: str, **extra) -> Case:
    with on(received):
        return make_case(received_on=d(received), regime="uk-gdpr", **extra)


def pause(case, asked: str, question="Which newsletters do you mean?", today=None):
    with on(today or asked):
        return services.case_pause_clock(
            case=case, actor=None, asked_on=d(asked), question=question
        )


def resume(case, answered: str, today=None):
    with on(today or answered):
        return services.case_resume_clock(case=case, actor=None, answered_on=d(answered))


def replay_due_date(case: Case) -> date:
    """The due date as the trail tells it: created, then each change with its old and new."""
    entries = list(case.audit_entries.order_by("sequence"))
    due = entries[0].details["due_date"]
    for entry in entries[1:]:
        change = entry.details.get("changes", {}).get("due_date")
        if "new_due_date" in entry.details:
            change = {"old": entry.details["old_due_date"], "new": entry.details["new_due_date"]}
        if change:
            assert change["old"] == due, entry.action
            due = change["new"]
    return date.fromisoformat(due)


def test_the_wait_moves_the_deadline_through_a_leap_february():
    case = uk_case("2028-01-31")
    assert case.due_date == d("2028-02-29")
    pause(case, "2028-02-10")
    assert case.clock_paused_on == d("2028-02-10")
    assert case.due_date == d("2028-03-01")  # the day asked never counts
    resume(case, "2028-02-20")
    case.refresh_from_db()
    assert (case.clock_paused_on, case.clock_resumed_on) == (None, d("2028-02-20"))
    assert case.clock_paused_days == 11
    assert case.due_date == d("2028-03-11")
    paused, resumed = case.audit_entries.order_by("sequence")[1:]
    assert (paused.action, resumed.action) == ("clock_paused", "clock_resumed")
    assert paused.readable_details == {
        "asked_on": "2028-02-10",
        "question": "Which newsletters do you mean?",
        "old_due_date": "2028-02-29",
        "new_due_date": "2028-03-01",
    }
    assert resumed.details == {
        "asked_on": "2028-02-10",
        "answered_on": "2028-02-20",
        "days_not_counted": 11,
        "old_due_date": "2028-03-01",
        "new_due_date": "2028-03-11",
    }
    assert verify_chain(case)[1] is None
    assert replay_due_date(case) == case.due_date


def test_asked_on_the_last_day_of_a_short_month():
    case = uk_case("2026-01-31")
    assert case.due_date == d("2026-02-28")
    pause(case, "2026-02-28")  # the very last day: still in time
    resume(case, "2026-03-01")
    case.refresh_from_db()
    assert case.due_date == d("2026-03-02")


def test_two_waits_add_up_and_the_extension_counts_them_too():
    case = uk_case("2026-12-15")
    pause(case, "2026-12-20")
    resume(case, "2027-01-05")  # 17 days across the year's end
    pause(case, "2027-01-10")
    resume(case, "2027-01-10")  # answered the same day: one day
    case.refresh_from_db()
    assert case.clock_paused_days == 18
    assert case.due_date == d("2027-02-02")
    # Told on 1 February: past the month from receipt, but within it once the wait is left out.
    with on("2027-02-01"):
        services.case_extend_deadline(
            case=case, actor=None, reason="Many systems", subject_told_on=d("2027-02-01")
        )
    case.refresh_from_db()
    assert case.due_date == d("2027-04-02")  # three months from receipt, plus 18 days
    assert case.original_due_date == d("2027-02-02")
    assert replay_due_date(case) == case.due_date


def test_a_wait_after_the_extension_moves_the_extended_deadline():
    case = uk_case("2028-01-31")
    with on("2028-02-05"):
        services.case_extend_deadline(
            case=case, actor=None, reason="Complex", subject_told_on=d("2028-02-05")
        )
    assert case.due_date == d("2028-04-30")
    pause(case, "2028-03-01")
    resume(case, "2028-03-10")
    case.refresh_from_db()
    assert case.due_date == d("2028-05-10")
    assert case.original_due_date == d("2028-03-10")
    assert replay_due_date(case) == case.due_date


def test_correcting_the_date_of_receipt_keeps_the_days_not_counted():
    case = uk_case("2026-03-10")
    pause(case, "2026-03-12")
    resume(case, "2026-03-16")  # 5 days
    with on("2026-03-20"):
        services.case_update(case=case, actor=None, received_on=d("2026-03-09"))
    case.refresh_from_db()
    assert case.due_date == d("2026-04-14")  # 9 April plus 5 days
    assert replay_due_date(case) == case.due_date


@pytest.mark.parametrize("regime", ["gdpr", "ccpa", "lgpd", "dpdp"])
def test_no_other_regime_stops_the_clock(regime):
    case = make_case(regime=regime)
    due = case.due_date
    with pytest.raises(CaseRuleError, match="cannot be stopped"):
        services.case_pause_clock(
            case=case, actor=None, asked_on=case.received_on, question="Which data?"
        )
    case.refresh_from_db()
    assert (case.due_date, case.clock_paused_on, case.audit_length) == (due, None, 1)


@pytest.mark.parametrize(
    ("asked", "today", "message"),
    [
        ("2026-03-05", "2026-03-04", "future"),
        ("2026-02-28", "2026-03-04", "before receipt"),
        ("2026-04-02", "2026-04-05", "had passed"),  # due 1 April
        ("2026-03-05", "2026-03-05", ""),  # fine, for the other rules below
    ],
)
def test_when_the_clock_can_stop(asked, today, message):
    case = uk_case("2026-03-01")
    if message:
        with pytest.raises(CaseRuleError, match=message):
            pause(case, asked, today=today)
        case.refresh_from_db()
        assert (case.clock_paused_on, case.due_date) == (None, d("2026-04-01"))
    else:
        pause(case, asked, today=today)
        with pytest.raises(CaseRuleError, match="has been stopped since"):
            pause(case, "2026-03-05")
        with pytest.raises(CaseRuleError, match="before the clarification was asked"):
            resume(case, "2026-03-04", today="2026-03-06")
        with pytest.raises(CaseRuleError, match="future"):
            resume(case, "2026-03-07", today="2026-03-06")
        stopped = "restart it when the answer arrives, then"
        with pytest.raises(CaseRuleError, match=stopped), on("2026-03-06"):
            services.case_extend_deadline(
                case=case, actor=None, reason="Busy", subject_told_on=d("2026-03-06")
            )
        resume(case, "2026-03-08")
        with pytest.raises(CaseRuleError, match="after that day"):
            pause(case, "2026-03-08", today="2026-03-09")
        with pytest.raises(CaseRuleError, match="nothing to restart"):
            resume(case, "2026-03-09")
        with pytest.raises(CaseRuleError, match="Say what"):
            pause(case, "2026-03-09", question="  ")


def test_a_finished_case_has_no_clock():
    case = uk_case("2026-03-01")
    services.case_change_status(case=case, actor=None, status="withdrawn", reason="Asked to")
    with pytest.raises(CaseRuleError, match="finished"):
        pause(case, "2026-03-02")


def test_a_stopped_clock_is_neither_due_soon_nor_overdue_and_keeps_its_days():
    officer = OfficerFactory(username="uma", email="uma@example.com")
    today = timezone.localdate()
    received = today - timedelta(days=50)
    with on(received.isoformat()):
        case = make_case(received_on=received, regime="uk-gdpr", assigned_officer=officer)
    asked = received + timedelta(days=25)
    with on(asked.isoformat()):
        services.case_pause_clock(case=case, actor=None, asked_on=asked, question="Which?")
    case.refresh_from_db()
    left = (case.due_date - asked).days
    assert case.days_left(today) == left  # frozen while the clock is stopped
    assert case.due_date < today  # the stored date has passed, but the clock is not running
    figures = dashboard_figures(Case.objects.all(), today)
    assert (figures.overdue, figures.due_soon) == (0, 0)
    assert not cases_due_for_reminder(today).exists()
    services.case_resume_clock(case=case, actor=None, answered_on=today)
    case.refresh_from_db()
    assert case.days_left(today) == left  # the days it stopped with, now running again
    assert cases_due_for_reminder(today).get() == case  # due within the week once more


def test_stopping_and_restarting_on_the_case_page(officer_client, officer):
    today = timezone.localdate()
    case = make_case(actor=officer, regime="uk-gdpr", received_on=today - timedelta(days=3))
    url = case.get_absolute_url()
    page = officer_client.get(url).content.decode()
    assert "Stop the clock" in page and "Restart the clock" not in page

    response = officer_client.post(
        reverse("cases:clock_pause", args=[case.reference]),
        {"asked_on": (today - timedelta(days=1)).isoformat(), "question": "Which account?"},
    )
    assert response.status_code == 302 and response["Location"] == url + "#deadline"
    page = officer_client.get(url).content.decode()
    case.refresh_from_db()
    days = case.days_left()
    assert f"Clock stopped, {days} days left" in page
    assert "Restart the clock" in page and "Stop the clock" not in page
    assert 'action="/cases/' + case.reference + '/extend/"' not in page

    bad = officer_client.post(
        reverse("cases:clock_resume", args=[case.reference]),
        {"answered_on": (today + timedelta(days=1)).isoformat()},
        follow=True,
    )
    assert bad.redirect_chain[0][1] == 302  # refused, and shown once on the page it leads to
    assert "cannot be in the future" in bad.content.decode()

    response = officer_client.post(
        reverse("cases:clock_resume", args=[case.reference]), {"answered_on": today.isoformat()}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.clock_paused_days == 2
    page = officer_client.get(url).content.decode()
    assert "The clock was stopped for 2 days in all" in page


def test_the_page_refuses_a_pause_under_gdpr_with_the_reason(officer_client, officer):
    case = make_case(actor=officer)
    response = officer_client.post(
        reverse("cases:clock_pause", args=[case.reference]),
        {"asked_on": timezone.localdate().isoformat(), "question": "Which?"},
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302
    assert "cannot be stopped under EU GDPR" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"asked_on": "31/31/2026", "question": "Which?"}, "asked_on"),
        ({"asked_on": "", "question": "Which?"}, "asked_on"),
        ({"asked_on": "2026-03-02", "question": "q" * 100_000}, "question"),
    ],
)
def test_malformed_pauses_are_refused_and_change_nothing(officer_client, officer, data, field):
    case = make_case(actor=officer, regime="uk-gdpr")
    response = officer_client.post(
        reverse("cases:clock_pause", args=[case.reference]), data, follow=True
    )
    assert response.redirect_chain[0][1] == 302
    assert field in response.context["pause_form"].errors
    case.refresh_from_db()
    assert case.clock_paused_on is None
