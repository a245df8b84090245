"""The retention purge: the events, collection data and reports of cases finished more than
RETENTION_DAYS_AFTER_CLOSE days ago are deleted; the case and its audit trail stay, and the
purge is recorded in it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from cases.audit import verify_chain
from cases.jobs import retention
from cases.models import (
    ActivityEvent,
    Case,
    Delivery,
    DeliveryOutcome,
    HarvestWindow,
    Report,
)
from cases.services import case_change_status
from tests.beat_schedule import job, next_runs
from tests.factories import (
    ReportFactory,
    make_case,
    make_collected_case,
    make_events,
    make_window,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reports_stored_privately(private_storage):
    """Every test here makes reports."""


def days_later(days: int):
    return timezone.now() + timedelta(days=days)


def reported_case(officer, *, status="closed") -> Case:
    """A collected case with a report (PDF, JSON, CSV files) sent to the subject, then `status`."""
    case = make_collected_case(events=6, actor=officer, subject_email="ana@example.com")
    report = ReportFactory(case=case)
    Delivery.objects.create(
        report=report, recipient="ana@example.com", outcome=DeliveryOutcome.SENT
    )
    case_change_status(case=case, actor=officer, status="report_ready")
    case_change_status(case=case, actor=officer, status="sent")
    if status != "sent":
        case_change_status(case=case, actor=officer, status=status)
    return case


def test_purges_a_case_closed_past_the_period(
    officer, private_storage, django_capture_on_commit_callbacks
):
    case = reported_case(officer)
    folder = private_storage / "reports" / case.reference
    assert len(list(folder.iterdir())) == 3

    with django_capture_on_commit_callbacks(execute=True):
        purged = retention.purge_expired_cases(now=days_later(91))

    assert [p.reference for p in purged] == [case.reference]
    assert purged[0].events == 6 and purged[0].reports == 1 and purged[0].files == 3
    assert not ActivityEvent.objects.filter(case=case).exists()
    assert not HarvestWindow.objects.filter(case=case).exists()
    assert not Report.objects.filter(case=case).exists()
    assert not Delivery.objects.exists()
    assert list(folder.iterdir()) == []
    # The case and its audit trail stay; the purge is the trail's last entry, and it verifies.
    case.refresh_from_db()
    assert case.status == "closed"
    last = case.audit_entries.order_by("-sequence").first()
    assert last.action == "data_purged" and last.actor_label == "system"
    assert last.details["events"] == 6 and last.details["retention_days"] == 90
    assert verify_chain(case)[1] is None


def test_not_before_the_period_nor_while_open(officer):
    closed = reported_case(officer)
    open_case = make_collected_case(events=2, actor=officer)

    assert retention.purge_expired_cases(now=days_later(89)) == []
    assert retention.purge_expired_cases(now=days_later(365)) != []
    assert ActivityEvent.objects.filter(case=open_case).count() == 2
    assert not ActivityEvent.objects.filter(case=closed).exists()


@pytest.mark.parametrize("status", ["sent", "rejected", "withdrawn"])
def test_every_finished_status_counts(officer, status):
    if status == "sent":
        case = reported_case(officer, status="sent")
    else:
        # Rejected before collection finished: whatever was collected goes too.
        case = make_case(actor=officer)
        make_events(make_window(case), 2)
        case_change_status(case=case, actor=officer, status=status, reason="Asked to stop")
    assert [p.reference for p in retention.purge_expired_cases(now=days_later(91))] == [
        case.reference
    ]


def test_the_period_is_a_setting(officer, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 10
    reported_case(officer)
    assert retention.purge_expired_cases(now=days_later(9)) == []
    assert len(retention.purge_expired_cases(now=days_later(11))) == 1


def test_counted_from_the_last_time_it_was_finished(officer):
    case = reported_case(officer, status="sent")
    case_change_status(case=case, actor=officer, status="report_ready")  # reopened
    assert retention.purge_expired_cases(now=days_later(91)) == []
    case_change_status(case=case, actor=officer, status="sent")
    assert len(retention.purge_expired_cases(now=days_later(91))) == 1


def test_runs_again_without_doing_anything_twice(officer):
    case = reported_case(officer)
    assert len(retention.purge_expired_cases(now=days_later(91))) == 1
    assert retention.purge_expired_cases(now=days_later(92)) == []
    assert case.audit_entries.filter(action="data_purged").count() == 1


def test_command_and_dry_run(officer, capsys, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 0
    case = reported_case(officer)

    call_command("purge_closed_cases", "--dry-run")
    assert case.reference in capsys.readouterr().out
    assert ActivityEvent.objects.filter(case=case).exists()

    call_command("purge_closed_cases")
    out = capsys.readouterr().out
    assert f"{case.reference}: 6 events" in out and "1 cases purged" in out
    assert not ActivityEvent.objects.filter(case=case).exists()


def test_beat_runs_it_daily_at_half_past_two():
    zone = ZoneInfo(settings.TIME_ZONE)
    runs = next_runs("retention-purge", datetime(2026, 6, 10, 3, 0, tzinfo=zone), 3)
    assert [f"{run:%d %H:%M}" for run in runs] == ["11 02:30", "12 02:30", "13 02:30"]


def test_the_job_beat_runs_purges(officer, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 0
    case = reported_case(officer)
    assert job("retention-purge").apply().get() == 1
    assert not ActivityEvent.objects.filter(case=case).exists()
