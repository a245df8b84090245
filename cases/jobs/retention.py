"""Retention, in two stages, counted from when a case last finished (sent, closed, rejected or
withdrawn). A case on legal hold is left whole by both.

1. The data stage, RETENTION_DAYS_AFTER_CLOSE days on: the subject's events with their raw
   records, the harvest windows (primary keys, causes of failures), the report versions with their
   files, the deliveries, the refusal letters and the prepared case-file PDFs are deleted. Kept:
   the case record (reference, subject, dates, status) and its audit trail, to which the purge is
   appended; the case file can still be produced.
2. The accountability stage, ACCOUNTABILITY_RETENTION_DAYS days on: the case is anonymised. The
   subject's name, email and primary keys are replaced by a random pseudonym (never derived from
   them), the free texts of the row (verification notes, reasons) emptied, its internal notes
   deleted, and the personal values of its whole trail erased (values and salts: the commitments
   stay, so the chain still verifies). Whatever the data stage left is purged first. Kept: the
   reference, dates, statuses, the trail's entries and the organisation-profile snapshots.

Each stage is one transaction and one audit entry (`data_purged`, `case_anonymised`); both run in
`purge_closed_cases` and its daily beat job, and a run repeated does nothing twice.
"""

import logging
import secrets
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
    AuditValues,
    Case,
    CaseNote,
    Delivery,
    HarvestWindow,
    PreparedCaseFile,
    RefusalLetter,
    Report,
    private_storage,
    pseudonym_email,
)
from cases.workflow import FINISHED

logger = logging.getLogger(__name__)


def cases_due_for_purge(*, now: datetime | None = None) -> QuerySet[Case]:
    """Finished cases past the retention period that still hold collected data or reports."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE)
    return (
        Case.objects.filter(status__in=FINISHED, finished_at__lt=cutoff, legal_hold_since=None)
        .filter(
            Exists(HarvestWindow.objects.filter(case=OuterRef("pk")))
            | Exists(ActivityEvent.objects.filter(case=OuterRef("pk")))
            | Exists(Report.objects.filter(case=OuterRef("pk")))
            | Exists(PreparedCaseFile.objects.filter(case=OuterRef("pk")))
            | Exists(RefusalLetter.objects.filter(case=OuterRef("pk")))
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
    case_files: int
    files: int


def _report_files(case: Case) -> list[str]:
    names = []
    for report in case.reports.all():
        names += [f.name for f in (report.file, report.json_file, report.csv_file) if f]
    names += [p.file.name for p in case.prepared_case_files.all() if p.file]
    names += [letter.file.name for letter in case.refusal_letters.all() if letter.file]
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
    longer finished (reopened meanwhile) or was put on legal hold."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in FINISHED or locked.on_legal_hold:
            return None
        files = _report_files(locked)
        deliveries = Delivery.objects.filter(case=locked).delete()[0]
        letters = RefusalLetter.objects.filter(case=locked).delete()[0]
        events = ActivityEvent.objects.filter(case=locked).delete()[0]
        windows = HarvestWindow.objects.filter(case=locked).delete()[0]
        reports = Report.objects.filter(case=locked).delete()[0]
        case_files = PreparedCaseFile.objects.filter(case=locked).delete()[0]
        purged = Purged(
            locked.reference, events, windows, reports, deliveries, case_files, len(files)
        )
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
                "case_files": case_files,
                "refusal_letters": letters,
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


def cases_due_for_anonymisation(*, now: datetime | None = None) -> QuerySet[Case]:
    """Finished cases past the accountability period, not yet anonymised nor on legal hold."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCOUNTABILITY_RETENTION_DAYS)
    return Case.objects.filter(
        status__in=FINISHED, finished_at__lt=cutoff, legal_hold_since=None, anonymised_at=None
    ).order_by("finished_at")


@dataclass(frozen=True)
class Anonymised:
    reference: str
    pseudonym: str
    entries_erased: int
    notes_deleted: int
    purged: Purged | None


def anonymise_case(case: Case) -> Anonymised | None:
    """Replace the subject of a finished case by a pseudonym and erase the personal values of its
    trail, and audit it; None if the case is no longer finished, is on legal hold, or was
    anonymised already."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in FINISHED or locked.on_legal_hold or locked.anonymised_at:
            return None
        purged = purge_case(locked) if _holds_data(locked) else None
        pseudonym = f"ANON-{secrets.token_hex(8).upper()}"
        key_count = len(locked.primary_keys)
        Case.objects.filter(pk=locked.pk).update(
            subject_name=f"Anonymised subject {pseudonym}",
            subject_email=pseudonym_email(pseudonym),
            primary_keys=[f"{pseudonym}-{n}" for n in range(1, key_count + 1)],
            verification_notes="",
            extension_reason="",
            status_reason="",
            anonymised_at=timezone.now(),
        )
        notes = CaseNote.objects.filter(case=locked).delete()[0]
        erased = AuditValues.objects.filter(entry__case=locked, erased_at=None).update(
            values={}, erased_at=timezone.now()
        )
        audit_append(
            case=locked,
            actor=None,
            action=AuditAction.CASE_ANONYMISED,
            details={
                "accountability_days": settings.ACCOUNTABILITY_RETENTION_DAYS,
                "pseudonym": pseudonym,
                "primary_key_count": key_count,
                "entries_erased": erased,
                "notes_deleted": notes,
            },
        )
    logger.info("retention: %s anonymised, %d entries' values erased", locked.reference, erased)
    return Anonymised(locked.reference, pseudonym, erased, notes, purged)


def _holds_data(case: Case) -> bool:
    return (
        HarvestWindow.objects.filter(case=case).exists()
        or ActivityEvent.objects.filter(case=case).exists()
        or Report.objects.filter(case=case).exists()
        or Delivery.objects.filter(case=case).exists()
        or PreparedCaseFile.objects.filter(case=case).exists()
        or RefusalLetter.objects.filter(case=case).exists()
    )


def anonymise_expired_cases(*, now: datetime | None = None) -> list[Anonymised]:
    """Anonymise every case past the accountability period; return what was anonymised."""
    done = []
    for case in cases_due_for_anonymisation(now=now):
        anonymised = anonymise_case(case)
        if anonymised is not None:
            done.append(anonymised)
    return done


@dataclass(frozen=True)
class RetentionRun:
    purged: list[Purged]
    anonymised: list[Anonymised]


def apply_retention(*, now: datetime | None = None) -> RetentionRun:
    """Both stages, the data stage first."""
    return RetentionRun(purge_expired_cases(now=now), anonymise_expired_cases(now=now))


@shared_task(name="cases.tasks.retention_purge_task", ignore_result=True)
def retention_purge_task() -> int:
    run = apply_retention()
    return len(run.purged) + len(run.anonymised)
