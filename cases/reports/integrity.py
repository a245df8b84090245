"""Report files leave the portal only as they were made.

Wherever a version's PDF or export is served or sent, `open_report_file` is the way to open it:
the file's SHA-256 is computed and compared with the one recorded when the version was made. A
file that differs (or is gone) is refused: nothing is served or sent, the refusal is an entry in
the case's audit trail, and every admin with an email address is told.
"""

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.fields.files import FieldFile

from cases.audit import audit_append
from cases.models import AuditAction, Report

logger = logging.getLogger(__name__)

# kind -> (file field, field holding its SHA-256 as made)
REPORT_FILES = {
    "pdf": ("file", "sha256"),
    "json": ("json_file", "json_sha256"),
    "csv": ("csv_file", "csv_sha256"),
}
CHUNK = 1 << 20


class ReportFileAltered(Exception):
    """The file is not the one made for the version (changed or missing); nothing was served or
    sent."""


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file on disk (a version's file as made, before it is stored)."""
    with open(path, "rb") as file:
        return sha256_of(iter(lambda: file.read(CHUNK), b""))


def open_report_file(*, report: Report, kind: str, actor, purpose: str) -> FieldFile:
    """The version's file of `kind` ("pdf", "json" or "csv"), open and at its start, once its
    SHA-256 matched the recorded one. `purpose` ("download", "send") is recorded with a refusal.

    Raises ReportFileAltered (audited, admins told) when it does not.
    """
    field_name, digest_name = REPORT_FILES[kind]
    field: FieldFile = getattr(report, field_name)
    recorded = getattr(report, digest_name)
    found = "missing"
    if field.name:
        try:
            # Hashed and then served from the same open file: what was checked is what goes.
            field.open("rb")
        except FileNotFoundError:
            pass
        else:
            found = sha256_of(iter(lambda: field.read(CHUNK), b""))
            if recorded and found == recorded:
                field.seek(0)
                return field
            field.close()
    _refuse(report=report, kind=kind, actor=actor, purpose=purpose, found=found)


def _refuse(*, report: Report, kind: str, actor, purpose: str, found: str) -> NoReturn:
    case = report.case
    details = {
        "version": report.version,
        "format": kind,
        "purpose": purpose,
        "recorded_sha256": getattr(report, REPORT_FILES[kind][1]),
        "found_sha256": found,
    }
    with transaction.atomic():
        audit_append(
            case=case, actor=actor, action=AuditAction.REPORT_FILE_ALTERED, details=details
        )
        transaction.on_commit(lambda: report_file_alert_task.delay(report.pk, kind, purpose, found))
    logger.error(
        "Report %s v%s: the %s file is not the one made (%s refused)",
        case.reference,
        report.version,
        kind,
        purpose,
    )
    raise ReportFileAltered(
        f"The {kind.upper()} of version {report.version} is not the file that was made: its "
        f"SHA-256 no longer matches the one recorded. The {purpose} was refused and the "
        "administrators have been told."
    )


def report_file_alert(report_id: int, kind: str, purpose: str, found: str) -> int:
    """Email every active admin with an address about an altered report file; returns how many
    were told. Says which case and version, never whose data it is."""
    report = Report.objects.select_related("case").get(pk=report_id)
    admins = list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not admins:
        logger.error("No administrator has an email address to be told of an altered report")
        return 0
    recorded = getattr(report, REPORT_FILES[kind][1])
    send_mail(
        subject=f"DSAR portal: altered report file refused ({report.case.reference})",
        message=(
            f"The {kind.upper()} file of report version {report.version} of case "
            f"{report.case.reference} is not the file that was made, and a {purpose} of it was "
            "refused.\n\n"
            f"SHA-256 recorded when it was made: {recorded or '(none)'}\n"
            f"SHA-256 of the file now:           {found}\n\n"
            "Someone with access to the report storage may have changed or replaced it. Keep the "
            "file as it is for investigation, check the case's audit trail "
            "(python manage.py verify_audit), and generate a new version before sending one.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=admins,
    )
    return len(admins)


@shared_task(name="cases.tasks.report_file_alert_task", ignore_result=True)
def report_file_alert_task(report_id: int, kind: str, purpose: str, found: str) -> int:
    return report_file_alert(report_id, kind, purpose, found)
