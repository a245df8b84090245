"""Retention: what we collected for a case is deleted once the case has been finished (sent,
closed, rejected or withdrawn) for RETENTION_DAYS_AFTER_CLOSE days.

Deleted: the subject's events with their raw records, the harvest windows (primary keys, causes
of failures), the report versions with their files and the deliveries. Kept: the case record
(reference, dates, status) and its audit trail, to which the purge itself is appended.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.audit import audit_append
from cases.models import (
    ActivityEvent,
    AuditAction,
    Case,
    Delivery,
    HarvestWindow,
    Report,
    private_storage,
)
from cases.workflow import FINISHED

logger = logging.getLogger(__name__)


def cases_due_for_purge(*, now: datetime | None = None) -> QuerySet[Case]:
    """Finished cases past the retention period that still hold collected data or reports."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE)
    return (
        Case.objects.filter(status__in=FINISHED, finished_at__lt=cutoff)
        .filter(
            Exists(HarvestWindow.objects.filter(case=OuterRef("pk")))
            | Exists(ActivityEvent.objects.filter(case=OuterRef("pk")))
            | Exists(Report.objects.filter(case=OuterRef("pk")))
        )
        .order_by("finished_at")
    )


@dataclass(frozen=True)
class Purged:
    reference: str
    events: int
    windows: int
    reports: int
    deliveries: int
    files: int


def _report_files(case: Case) -> list[str]:
    names = []
    for report in case.reports.all():
        names += [f.name for f in (report.file, report.json_file, report.csv_file) if f]
    return names


def _delete_files(reference: str, names: list[str]) -> None:
    """Delete the report files, and anything else left in the case's report folder."""
    storage = private_storage()
    folder = f"reports/{reference}"
    try:
        _dirs, leftovers = storage.listdir(folder)
    except FileNotFoundError:
        leftovers = []
    for name in {*names, *(f"{folder}/{leftover}" for leftover in leftovers)}:
        try:
            storage.delete(name)
        except OSError as exc:
            logger.warning("retention: a report file of %s not deleted: %s", reference, exc)


def purge_case(case: Case) -> Purged | None:
    """Delete a finished case's collected data and reports, and audit it; None if the case is no
    longer finished (reopened meanwhile)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in FINISHED:
            return None
        files = _report_files(locked)
        deliveries = Delivery.objects.filter(report__case=locked).delete()[0]
        events = ActivityEvent.objects.filter(case=locked).delete()[0]
        windows = HarvestWindow.objects.filter(case=locked).delete()[0]
        reports = Report.objects.filter(case=locked).delete()[0]
        purged = Purged(locked.reference, events, windows, reports, deliveries, len(files))
        audit_append(
            case=locked,
            actor=None,
            action=AuditAction.DATA_PURGED,
            details={
                "retention_days": settings.RETENTION_DAYS_AFTER_CLOSE,
                "status": locked.status,
                "events": events,
                "windows": windows,
                "reports": reports,
                "deliveries": deliveries,
                "files": len(files),
            },
        )
        # Files go once the rows are gone for good (a file that cannot be deleted is logged).
        transaction.on_commit(lambda: _delete_files(locked.reference, files))
    logger.info(
        "retention: %s purged: %d events, %d windows, %d reports",
        purged.reference,
        events,
        windows,
        reports,
    )
    return purged


def purge_expired_cases(*, now: datetime | None = None) -> list[Purged]:
    """Purge every case past the retention period; return what was purged."""
    done = []
    for case in cases_due_for_purge(now=now):
        purged = purge_case(case)
        if purged is not None:
            done.append(purged)
    return done


@shared_task(name="cases.tasks.retention_purge_task", ignore_result=True)
def retention_purge_task() -> int:
    return len(purge_expired_cases())
