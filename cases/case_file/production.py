"""Producing case files: every production is recorded in the case's trail with the SHA-256 of
what was produced (so a file handed to an authority can be matched with its entry), and every
download of a prepared PDF too.

The JSON is made at once. The PDF takes about a second per ten pages, and a trail of thousands of
entries runs to hundreds: on the case page it is asked for (a PreparedCaseFile row), built by a
worker that claims it (compare-and-set, as report versions are), and downloaded when ready, its
SHA-256 checked against the one recorded. `manage.py case_file` renders in its own process.
"""

import hashlib
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from cases.audit import audit_append
from cases.models import AuditAction, Case, PreparedCaseFile, ReportStatus

from .content import CaseFile, build_case_file
from .document import render_case_file

logger = logging.getLogger(__name__)

# A PDF still being prepared this long after it was asked for lost its worker.
PREPARING_STALE_AFTER_SECONDS = 3600


class CaseFileRefused(Exception):
    """The case file cannot be prepared or served now; the reason is in the message."""


def _name(actor) -> str:
    return actor.get_username() if actor is not None else "system (manage.py case_file)"


def build(case: Case, *, actor, notes: bool) -> CaseFile:
    return build_case_file(case, notes=notes, produced_by=_name(actor), now=timezone.now())


def record_production(
    *, case: Case, actor, data: bytes, file_format: str, notes: bool, via: str
) -> None:
    """Audit that a case file left (or is ready to leave) the portal, with its SHA-256."""
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.CASE_FILE_PRODUCED,
        details={
            "format": file_format,
            "with_notes": notes,
            "via": via,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        },
    )


def case_file_json(*, case: Case, actor, notes: bool, via: str) -> bytes:
    """The case file as JSON, recorded."""
    data = (build(case, actor=actor, notes=notes).as_json() + "\n").encode()
    record_production(case=case, actor=actor, data=data, file_format="json", notes=notes, via=via)
    return data


def prepare_case_file(*, case: Case, actor, notes: bool) -> PreparedCaseFile:
    """Ask for the case file's PDF to be made by a worker; refused while one is being made."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        recent = timezone.now() - timedelta(seconds=PREPARING_STALE_AFTER_SECONDS)
        if locked.prepared_case_files.filter(
            status=ReportStatus.GENERATING, created_at__gt=recent
        ).exists():
            raise CaseFileRefused("A case file is already being prepared for this case.")
        prepared = PreparedCaseFile.objects.create(
            case=locked, requested_by=actor, with_notes=notes
        )
        prepared_id = prepared.pk
        transaction.on_commit(lambda: case_file_build_task.delay(prepared_id))
    return prepared


def _claim(prepared_id: int) -> PreparedCaseFile | None:
    stale = timezone.now() - timedelta(seconds=PREPARING_STALE_AFTER_SECONDS)
    claimed = (
        PreparedCaseFile.objects.filter(pk=prepared_id, status=ReportStatus.GENERATING)
        .filter(Q(build_started_at__isnull=True) | Q(build_started_at__lt=stale))
        .update(build_started_at=timezone.now(), build_attempts=F("build_attempts") + 1)
    )
    if not claimed:
        return None
    return PreparedCaseFile.objects.select_related("case", "requested_by").get(pk=prepared_id)


def build_prepared_case_file(prepared_id: int) -> PreparedCaseFile | None:
    """Render a requested PDF, store it privately and record its production; None when another
    worker has it or it is made. A failure is recorded on the row, for the page to show."""
    prepared = _claim(prepared_id)
    if prepared is None:
        return None
    owned = PreparedCaseFile.objects.filter(
        pk=prepared.pk, status=ReportStatus.GENERATING, build_attempts=prepared.build_attempts
    )
    case, actor = prepared.case, prepared.requested_by
    try:
        content = build(case, actor=actor, notes=prepared.with_notes)
        with tempfile.TemporaryDirectory(prefix="case-file-") as tmp:
            path = Path(tmp) / prepared.filename
            rendered = render_case_file(content, path)
            data = path.read_bytes()
            with open(path, "rb") as file:
                prepared.file.save(
                    f"{prepared.build_attempts}-{prepared.filename}", File(file), False
                )
    except Exception as exc:
        logger.exception("Case file %s of %s failed", prepared.pk, case.reference)
        owned.update(status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        return PreparedCaseFile.objects.get(pk=prepared.pk)
    with transaction.atomic():
        recorded = owned.update(
            status=ReportStatus.READY,
            file=prepared.file.name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=rendered.size,
            pages=rendered.pages,
            finished_at=timezone.now(),
        )
        if not recorded:
            prepared.file.storage.delete(prepared.file.name)  # a newer claim owns it
            return None
        record_production(
            case=case,
            actor=actor,
            data=data,
            file_format="pdf",
            notes=prepared.with_notes,
            via="case page",
        )
    return PreparedCaseFile.objects.get(pk=prepared.pk)


@shared_task(
    name="cases.tasks.case_file_build_task",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def case_file_build_task(prepared_id: int) -> None:
    build_prepared_case_file(prepared_id)


def open_prepared_case_file(*, prepared: PreparedCaseFile, actor) -> FieldFile:
    """The prepared PDF, open at its start, once its SHA-256 matched the recorded one; the
    download is audited. Raises CaseFileRefused when the file is gone or not the one made."""
    found = None
    if prepared.file.name:
        try:
            prepared.file.open("rb")
        except FileNotFoundError:
            pass
        else:
            found = hashlib.sha256(prepared.file.read()).hexdigest()
            prepared.file.seek(0)
    if found is None or found != prepared.sha256:
        if found is not None:
            prepared.file.close()
        logger.error("Case file %s of %s is not the one made", prepared.pk, prepared.case)
        raise CaseFileRefused(
            "This case file is not the one that was made (changed or gone): prepare it again."
        )
    audit_append(
        case=prepared.case,
        actor=actor,
        action=AuditAction.CASE_FILE_DOWNLOADED,
        details={"prepared": prepared.pk, "sha256": prepared.sha256},
    )
    return prepared.file
