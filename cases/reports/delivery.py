"""Sending a report to the subject by email: only once identity is verified, optionally
encrypted, retried when the mail server fails, recorded and audited every time."""

import hashlib
import logging
import secrets
import smtplib
import time
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from cases.audit import audit_append
from cases.models import (
    AuditAction,
    Delivery,
    DeliveryOutcome,
    OrganisationProfile,
    Report,
    ReportStatus,
)
from cases.services import case_change_status
from cases.workflow import CaseStatus

from .integrity import open_report_file

logger = logging.getLogger(__name__)

# Lowercase letters and digits that cannot be mistaken for each other when read out or copied.
PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet)
PASSPHRASE_GROUPS, PASSPHRASE_GROUP_LENGTH = 5, 5  # about 123 bits
SENDABLE = frozenset({CaseStatus.REPORT_READY, CaseStatus.SENT})


class DeliveryRefused(Exception):
    """The report may not be sent now; the cause is in the message. Nothing was sent."""


def new_passphrase() -> str:
    """A random passphrase of five groups, e.g. "k7qpm-3xw9z-…", to be told the subject apart."""
    return "-".join(
        "".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(PASSPHRASE_GROUP_LENGTH))
        for _ in range(PASSPHRASE_GROUPS)
    )


def encrypt_pdf(data: bytes, passphrase: str) -> bytes:
    """The PDF encrypted with AES-256; it opens only with `passphrase`."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=BytesIO(data))
    writer.encrypt(
        user_password=passphrase,
        owner_password=secrets.token_urlsafe(32),
        algorithm="AES-256",
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise DeliveryRefused(
            f"The report is {_megabytes(size)}, more than the {_megabytes(limit)} that may be "
            "attached to an email (REPORT_MAX_ATTACHMENT_BYTES). Send it another way, e.g. on "
            "an encrypted medium, and record that in a note."
        )


def _cover_message(report: Report, *, encrypted: bool, data: bytes) -> EmailMessage:
    case = report.case
    profile = OrganisationProfile.load()
    body = render_to_string(
        "report/email_cover.txt", {"case": case, "profile": profile, "encrypted": encrypted}
    )
    message = EmailMessage(
        subject=f"Your personal data: our answer to your request {case.reference}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[case.subject_email],
    )
    message.attach(report.filename, data, "application/pdf")
    return message


def report_send(*, report: Report, actor, encrypt: bool = False) -> tuple[Delivery, str | None]:
    """Email `report` to the subject; return the delivery and the passphrase (when encrypted).

    Raises DeliveryRefused (nothing sent) when identity is not verified, the report is not the
    latest ready version, or it is larger than REPORT_MAX_ATTACHMENT_BYTES. A mail server failure
    is tried again REPORT_SEND_ATTEMPTS times in all; the delivery records the outcome either way.
    """
    case = report.case
    case.refresh_from_db()
    if not case.is_verified:
        raise DeliveryRefused(
            "The subject's identity has not been verified: record the verification first."
        )
    if report.status != ReportStatus.READY:
        raise DeliveryRefused("This report version is not ready to send.")
    latest = case.reports.filter(status=ReportStatus.READY).order_by("-version").first()
    if latest is not None and latest.pk != report.pk:
        raise DeliveryRefused(f"Version {latest.version} is newer: send that one.")
    if case.status not in SENDABLE:
        raise DeliveryRefused(
            f"The case is {CaseStatus(case.status).label.lower()}: generate the report again "
            "before sending it."
        )
    limit = settings.REPORT_MAX_ATTACHMENT_BYTES
    _check_size(report.size, limit)  # before reading a file that cannot be sent anyway
    with open_report_file(report=report, kind="pdf", actor=actor, purpose="send") as file:
        data = file.read()
    passphrase = new_passphrase() if encrypt else None
    if passphrase:
        data = encrypt_pdf(data, passphrase)
        _check_size(len(data), limit)
    delivery = Delivery.objects.create(
        report=report, recipient=case.subject_email, encrypted=encrypt, sent_by=actor
    )
    message = _cover_message(report, encrypted=encrypt, data=data)
    error = _send_with_retries(message, delivery)
    details = {
        "version": report.version,
        "recipient": delivery.recipient,
        "encrypted": encrypt,
        "attempts": delivery.attempts,
        "sha256": hashlib.sha256(data).hexdigest(),  # of the file sent (encrypted or not)
    }
    with transaction.atomic():
        if error is None:
            delivery.outcome = DeliveryOutcome.SENT
            delivery.sent_at = timezone.now()
            delivery.save(update_fields=["outcome", "sent_at", "attempts"])
            audit_append(case=case, actor=actor, action=AuditAction.REPORT_SENT, details=details)
            if case.status == CaseStatus.REPORT_READY:
                case_change_status(
                    case=case, actor=actor, status=CaseStatus.SENT, report_version=report.version
                )
        else:
            delivery.outcome = DeliveryOutcome.FAILED
            delivery.error = error
            delivery.save(update_fields=["outcome", "error", "attempts"])
            audit_append(
                case=case,
                actor=actor,
                action=AuditAction.REPORT_SEND_FAILED,
                details={**details, "error": error},
            )
    return delivery, passphrase


def _send_with_retries(message: EmailMessage, delivery: Delivery) -> str | None:
    """Send, trying again after mail server failures; return the last error, or None."""
    attempts = max(1, settings.REPORT_SEND_ATTEMPTS)
    backoff = settings.REPORT_SEND_BACKOFF_SECONDS
    error = None
    for attempt in range(1, attempts + 1):
        delivery.attempts = attempt
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            logger.warning(
                "Sending report to delivery %s failed (attempt %d)", delivery.pk, attempt
            )
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
        else:
            return None
    return error
