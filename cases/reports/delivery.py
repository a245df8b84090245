"""Sending a document (the access report, or the letter refusing a request) to the subject,
exactly once.

- The officer's request only records a pending Delivery and queues a task once it commits. Its
  form's one-time token is unique (a resubmitted form finds the delivery it made), and at most one
  delivery per report version and channel is live (pending, sending or sent, not revoked): a
  reload, double-click, back-button resubmit or second officer sends nothing more.
- A worker claims the delivery with a compare-and-set (pending -> sending, `claim` + 1, the
  fencing token) and only the holder of the latest claim records its outcome. Transient mail
  server failures are tried again by the task (REPORT_SEND_ATTEMPTS, doubling backoff); the
  outcome is recorded with a classified cause, audited, and only then is the case moved to sent,
  in a savepoint: a status conflict can never un-record a mail that has left.
- `handing_over_since` is set just before the mail server is given the email: a worker lost after
  that may have sent it, so the watchdog marks such a delivery "uncertain" instead of sending it
  again; a worker lost before that is simply claimed again.
- An attachment is always an encrypted PDF. The passphrase is shown once on the confirmation step,
  reaches the worker sealed (Fernet) in the task message, encrypts the PDF once (that copy is kept,
  so a retry needs no passphrase) and is stored nowhere.
- The email, its subject and the files' labels are in the case's language
  (`translation.override(case.language)` around composing; `document_of` reads the current one).
- Recipient, version and file are fixed when the request is made; the worker checks again that
  the case may still be sent to (verified, same address, newest version) before sending.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from cases.audit import audit_append
from cases.languages import ENGLISH, LANGUAGE_NAMES, missing_translations
from cases.models import (
    AuditAction,
    Case,
    Delivery,
    DeliveryCause,
    DeliveryChannel,
    DeliveryOutcome,
    DocumentKind,
    OrganisationProfile,
    RefusalLetter,
    Report,
    ReportStatus,
)
from cases.services import CaseRuleError, case_change_status
from cases.workflow import CaseStatus, TransitionNotAllowed
from netcore import encryption

from . import links, mail
from .generation import GENERATING_STALE_AFTER_SECONDS
from .integrity import ReportFileAltered, open_report_file

logger = logging.getLogger(__name__)

# Lowercase letters and digits that cannot be mistaken for each other when read out or copied.
PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet)
PASSPHRASE_GROUPS, PASSPHRASE_GROUP_LENGTH = 5, 5  # about 123 bits
SENDABLE = frozenset({CaseStatus.REPORT_READY, CaseStatus.SENT})


class DeliveryRefused(Exception):
    """The document may not be sent now; the cause is in the message. Nothing was sent."""


def new_passphrase() -> str:
    """A random passphrase of five groups, e.g. "k7qpm-3xw9z-…", to be told the subject apart."""
    return "-".join(
        "".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(PASSPHRASE_GROUP_LENGTH))
        for _ in range(PASSPHRASE_GROUPS)
    )


def new_request_token() -> str:
    """The one-time token a send form carries."""
    return secrets.token_urlsafe(32)


def encrypt_pdf(data: bytes, passphrase: str) -> bytes:
    """The PDF encrypted with AES-256; it opens only with `passphrase`."""
    writer = PdfWriter(clone_from=BytesIO(data))
    writer.encrypt(
        user_password=passphrase,
        owner_password=secrets.token_urlsafe(32),
        algorithm="AES-256",
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# What a delivery carries. Another kind of document (a letter) adds a DocumentKind, a builder in
# DOCUMENTS and its email templates; the request, the claimed send and the link stay as they are.


@dataclass(frozen=True)
class DocumentFile:
    kind: str  # "pdf", "json", "csv": the name in download URLs
    label: str  # as the subject reads it
    filename: str  # as the subject receives it (no internal version numbers)
    content_type: str
    stored: FieldFile
    # The version whose recorded SHA-256 covers this file, when it is one of a report's files.
    report: Report | None = None

    @property
    def size(self) -> int:
        return self.stored.size

    def open(self, *, actor, purpose: str) -> FieldFile:
        """The file, open at its start: a report's file only once its SHA-256 matches the one
        recorded when it was made (ReportFileAltered, audited and the admins told, if not)."""
        if self.report is not None:
            return open_report_file(
                report=self.report, kind=self.kind, actor=actor, purpose=purpose
            )
        return self.stored.open("rb")


@dataclass(frozen=True)
class Document:
    subject: str  # the email's subject line
    template: str  # the email's templates, without .txt / .html
    files: tuple[DocumentFile, ...]  # the first one is what an attachment delivery attaches

    def file(self, kind: str) -> DocumentFile | None:
        return next((f for f in self.files if f.kind == kind), None)


def report_document(report: Report) -> Document:
    reference = report.case.reference
    return Document(
        subject=_("Your personal data: our answer to your request %(reference)s")
        % {"reference": reference},
        template="report/email/report",
        files=(
            DocumentFile(
                "pdf",
                _("Your access report (PDF)"),
                f"{reference}-access-report.pdf",
                "application/pdf",
                report.file,
                report,
            ),
            DocumentFile(
                "json",
                _("Your data as JSON (for other programs)"),
                f"{reference}-your-data.json",
                "application/json",
                report.json_file,
                report,
            ),
            DocumentFile(
                "csv",
                _("Your data as CSV (opens in a spreadsheet)"),
                f"{reference}-your-data.csv",
                "text/csv; charset=utf-8",
                report.csv_file,
                report,
            ),
        ),
    )


def letter_document(letter: RefusalLetter) -> Document:
    reference = letter.case.reference
    return Document(
        subject=_("Your request %(reference)s: our answer") % {"reference": reference},
        template="report/email/refusal",
        files=(
            DocumentFile(
                "pdf",
                _("Our answer to your request (PDF)"),
                f"{reference}-our-answer.pdf",
                "application/pdf",
                letter.file,
            ),
        ),
    )


DOCUMENTS = {
    DocumentKind.REPORT: lambda delivery: report_document(delivery.report),
    DocumentKind.REFUSAL: lambda delivery: letter_document(delivery.letter),
}


def document_of(delivery: Delivery) -> Document:
    return DOCUMENTS[delivery.document](delivery)


# Asking for a send (the web request).


def send_refusal(case: Case, report: Report) -> str | None:
    """Why `report` may not be sent now, or None. Read it with the case row locked to act on it."""
    if not case.is_verified:
        return "The subject's identity has not been verified: record the verification first."
    if report.status != ReportStatus.READY:
        return "This report version is not ready to send."
    recent = timezone.now() - timedelta(seconds=GENERATING_STALE_AFTER_SECONDS)
    others = case.reports.filter(
        Q(status=ReportStatus.READY) | Q(status=ReportStatus.GENERATING, created_at__gt=recent)
    ).values_list("pk", "version", "status")
    if any(status == ReportStatus.GENERATING for _pk, _version, status in others):
        return "A newer version is being generated: wait for it, then send that one."
    latest = max((version, pk) for pk, version, _status in others)
    if latest[1] != report.pk:
        return f"Version {latest[0]} is newer: send that one."
    if case.status not in SENDABLE:
        return (
            f"The case is {CaseStatus(case.status).label.lower()}: generate the report again "
            "before sending it."
        )
    return mail.sender_of(OrganisationProfile.objects.filter(pk=1).first()).problem


def language_warnings(case: Case, report: Report) -> list[str]:
    """What the subject would read in English, or in another language than the case's, if
    `report` were sent now: for the officer, before sending (empty when all is well)."""
    language = report.language or ENGLISH
    warnings = []
    if language != case.language:
        warnings.append(
            f"Version {report.version} is in {LANGUAGE_NAMES.get(language, language)}, but the "
            f"subject's language is now {LANGUAGE_NAMES[case.language]}: generate the report "
            "again."
        )
    snapshot = report.profile_snapshot
    profile = snapshot.profile() if snapshot else OrganisationProfile.current()
    return warnings + missing_translations(case.language, profile)


def channel_for(report: Report, requested: str) -> str:
    """The channel a report goes by: the link when its PDF is too large to attach."""
    if report.size > settings.REPORT_MAX_ATTACHMENT_BYTES:
        return DeliveryChannel.LINK
    return requested


def delivery_request(
    *, report: Report, actor, channel: str, request_token: str, passphrase: str | None = None
) -> tuple[Delivery, bool]:
    """Record a pending delivery of `report` and queue its sending; return it and whether it is
    new (False: this form was sent before, and that delivery is returned).

    Raises DeliveryRefused, with the reason, when it may not be sent now.
    """
    channel = channel_for(report, channel)
    encrypted = channel == DeliveryChannel.ATTACHMENT
    if encrypted and not passphrase:
        raise DeliveryRefused("An attachment is sent encrypted: the passphrase is missing.")
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=report.case_id)
            # Asked again while the first was waiting for the lock: that one stands.
            existing = Delivery.objects.filter(request_token=request_token).first()
            if existing is not None:
                return existing, False
            problem = send_refusal(case, report) or _blocking_delivery(report, channel)
            if problem:
                raise DeliveryRefused(problem)
            delivery = Delivery(
                case=case,
                report=report,
                channel=channel,
                recipient=case.subject_email,
                encrypted=encrypted,
                request_token=request_token,
                sent_by=actor,
            )
            if channel == DeliveryChannel.LINK:
                delivery.link_hash = links.link_hash(links.link_secret(delivery))
            delivery.save()
            audit_append(
                case=case,
                actor=actor,
                action=AuditAction.SEND_REQUESTED,
                details={
                    "delivery": delivery.pk,
                    "version": report.version,
                    "recipient": delivery.recipient,
                    "channel": channel,
                    "encrypted": encrypted,
                },
            )
            sealed = encryption.encrypt(passphrase) if encrypted else None
            transaction.on_commit(lambda: delivery_send_task.delay(delivery.pk, sealed))
    except IntegrityError:
        # The same form sent twice at once, or another officer sending the same version.
        existing = Delivery.objects.filter(request_token=request_token).first()
        if existing is not None:
            return existing, False
        raise DeliveryRefused(
            "This version has just been sent (or is being sent) that way by someone else."
        ) from None
    return delivery, True


def _blocking_delivery(report: Report, channel: str) -> str | None:
    """Why another delivery of the case stands in the way: one under way (any version or
    channel), or this version already sent this way. An expired link no longer counts: it is
    marked so, and a new one may go."""
    now = timezone.now()
    under_way = (DeliveryOutcome.PENDING, DeliveryOutcome.SENDING)
    for other in report.case.deliveries.filter(
        Q(outcome__in=under_way)
        | Q(report=report, channel=channel, outcome=DeliveryOutcome.SENT, revoked_at__isnull=True)
    ):
        if other.outcome in under_way:
            return "Another send of this case is under way: wait for its outcome."
        if other.is_link and other.link_state(now) == "expired":
            other.revoked_at, other.revoke_reason = now, "Expired."
            other.save(update_fields=["revoked_at", "revoke_reason"])
            continue
        return (
            f"This version was already sent to {other.recipient} by "
            f"{other.get_channel_display().lower()} on "
            f"{timezone.localtime(other.sent_at):%d %b %Y %H:%M}."
            + (" Revoke that link first to send a new one." if other.is_link else "")
        )
    return None


# Sending (the worker).


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "failed", "retry" (after `retry_in` seconds) or "skipped"
    retry_in: float = 0.0


SKIPPED = SendResult("skipped")


def claim_delivery(delivery_id: int) -> Delivery | SendResult:
    """Take a pending delivery whose time has come (compare-and-set); else what to do instead."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, outcome=DeliveryOutcome.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            outcome=DeliveryOutcome.SENDING,
            claim=F("claim") + 1,
            claimed_at=now,
            attempts=F("attempts") + 1,
            handing_over_since=None,
        )
    )
    if claimed:
        return Delivery.objects.select_related("case", "report", "sent_by").get(pk=delivery_id)
    early = Delivery.objects.filter(
        pk=delivery_id, outcome=DeliveryOutcome.PENDING, next_attempt_at__gt=now
    ).first()
    if early is not None:  # a retry that woke up before its time
        return SendResult("retry", (early.next_attempt_at - now).total_seconds())
    return SKIPPED


def delivery_send(delivery_id: int, *, passphrase: str | None = None) -> SendResult:
    """Claim the delivery, send it once, record the outcome (see the module's invariants)."""
    claimed = claim_delivery(delivery_id)
    if isinstance(claimed, SendResult):
        return claimed
    delivery, token = claimed, claimed.claim
    try:
        problem = _no_longer_sendable(delivery)
        if problem:
            raise mail.MailFailure(DeliveryCause.NOT_SENDABLE, problem)
        profile = OrganisationProfile.load()
        sender = mail.sender_of(profile)
        if sender.problem:
            raise mail.MailFailure(DeliveryCause.MAIL_SETTINGS, sender.problem)
        with translation.override(delivery.case.language):
            message, attachment, document = _compose(delivery, token, profile, sender, passphrase)
        if attachment is not None:
            message.attach(document.files[0].filename, attachment, document.files[0].content_type)
        if not mail.send(message, before_handing_over=lambda: _handing_over(delivery, token)):
            return SKIPPED  # a newer claim owns it
    except mail.MailFailure as failure:
        return _failed_attempt(delivery, token, failure)
    _record_sent(delivery, token)
    return SendResult("sent")


def _compose(delivery: Delivery, token: int, profile, sender: mail.Sender, passphrase):
    """The email of `delivery` in the current language, and its encrypted attachment if any."""
    document = document_of(delivery)
    context = {
        "case": delivery.case,
        "profile": profile.in_language(delivery.case.language),
        "delivery": delivery,
        "sent_on": timezone.localdate(),
    }
    attachment = None
    if delivery.channel == DeliveryChannel.LINK:
        context |= {
            "link": links.link_url(delivery),
            "expires_at": timezone.now() + timedelta(days=settings.REPORT_LINK_DAYS),
            "files": document.files,
            "code_minutes": links.CODE_MINUTES,
        }
    else:
        attachment = _attachment(delivery, token, document.files[0], passphrase)
        context |= {"attached": document.files[0]}
    message = mail.compose(
        sender=sender,
        to=delivery.recipient,
        subject=document.subject,
        template=document.template,
        context=context,
        message_id=_message_id(delivery, sender),
    )
    return message, attachment, document


def _no_longer_sendable(delivery: Delivery) -> str | None:
    case = Case.objects.get(pk=delivery.case_id)
    if delivery.document == DocumentKind.REFUSAL:
        # A refusal answers whoever asked, identity established or not (Art. 12(6) refusals).
        if case.status != CaseStatus.REJECTED or case.subject_email != delivery.recipient:
            return "The case is no longer rejected, or its address changed."
        return "The delivery was withdrawn before it was sent." if delivery.revoked_at else None
    if not case.is_verified or case.subject_email != delivery.recipient:
        return "The subject's identity is no longer verified for this address."
    if delivery.revoked_at is not None:
        return "The delivery was withdrawn before it was sent."
    if delivery.report is not None:
        newer = case.reports.filter(version__gt=delivery.report.version).exclude(
            status=ReportStatus.FAILED
        )
        if newer.exists():
            return "A newer version of the report was made after this send was asked for."
        if case.status not in SENDABLE:
            return f"The case is {CaseStatus(case.status).label.lower()} again."
    return None


def read_document_file(file: DocumentFile) -> bytes:
    """The one place the send reads a document's file: only as it was made."""
    try:
        with file.open(actor=None, purpose="send") as handle:
            return handle.read()
    except ReportFileAltered as exc:
        raise mail.MailFailure(DeliveryCause.FILE, str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise mail.MailFailure(DeliveryCause.FILE, f"{file.filename}: {exc}") from exc


def _attachment(
    delivery: Delivery, token: int, file: DocumentFile, passphrase: str | None
) -> bytes:
    """The bytes to attach: the PDF encrypted (made once and kept, so a retry needs no
    passphrase), or as it is for an unencrypted delivery."""
    if not delivery.encrypted:
        data = read_document_file(file)
    elif delivery.file:
        with delivery.file.open("rb") as handle:
            data = handle.read()
    elif passphrase is None:
        raise mail.MailFailure(
            DeliveryCause.INTERRUPTED,
            "The worker stopped before the encrypted PDF was made, and the passphrase is kept "
            "nowhere. Send the report again: a new passphrase will be shown.",
        )
    else:
        data = encrypt_pdf(read_document_file(file), passphrase)
        name = delivery.file.field.generate_filename(delivery, file.filename)
        stored = delivery.file.storage.save(name, ContentFile(data))
        Delivery.objects.filter(pk=delivery.pk, claim=token).update(
            file=stored, sha256=hashlib.sha256(data).hexdigest()
        )
    limit = settings.REPORT_MAX_ATTACHMENT_BYTES
    if len(data) > limit:
        raise mail.MailFailure(
            DeliveryCause.TOO_LARGE,
            f"The PDF to attach is {megabytes(len(data))}, more than the {megabytes(limit)} "
            "allowed (REPORT_MAX_ATTACHMENT_BYTES): send it by link.",
        )
    return data


def _message_id(delivery: Delivery, sender: mail.Sender) -> str:
    # The same for every try of one delivery: a mail client shows a duplicate once.
    tag = hashlib.sha256(delivery.request_token.encode()).hexdigest()[:16]
    domain = sender.address.rpartition("@")[2] or "localhost"
    return f"<delivery-{delivery.pk}.{tag}@{domain}>"


def _handing_over(delivery: Delivery, token: int) -> bool:
    """Mark the delivery as being handed to the mail server; False if a newer claim owns it."""
    return bool(
        Delivery.objects.filter(
            pk=delivery.pk, claim=token, outcome=DeliveryOutcome.SENDING
        ).update(handing_over_since=timezone.now())
    )


def _record_sent(delivery: Delivery, token: int) -> None:
    """Record the mail as sent and audit it, then move the case to sent if it can go there."""
    now = timezone.now()
    expires_at = None
    if delivery.channel == DeliveryChannel.LINK:
        expires_at = now + timedelta(days=settings.REPORT_LINK_DAYS)
    with transaction.atomic():
        # The claim, not the state: a send the watchdog thought lost still counts when it lands.
        recorded = Delivery.objects.filter(pk=delivery.pk, claim=token).update(
            outcome=DeliveryOutcome.SENT,
            sent_at=now,
            cause="",
            error="",
            handing_over_since=None,
            next_attempt_at=None,
            expires_at=expires_at,
        )
        if not recorded:
            logger.error("delivery %s sent under a superseded claim %s", delivery.pk, token)
            return
        delivery.refresh_from_db()
        case = delivery.case
        audit_append(
            case=case,
            actor=delivery.sent_by,
            action=AuditAction.REPORT_SENT,
            details=_audit_details(delivery),
        )
        _move_case_to_sent(case, delivery)
    logger.info("delivery %s sent after %d attempts", delivery.pk, delivery.attempts)


def _move_case_to_sent(case: Case, delivery: Delivery) -> None:
    case.refresh_from_db(fields=["status"])
    if case.status != CaseStatus.REPORT_READY:
        return  # already sent, or moved on meanwhile (e.g. collecting again): left as it is
    try:
        with transaction.atomic():  # a savepoint: a conflict undoes the move, not the record
            case_change_status(
                case=case,
                actor=delivery.sent_by,
                status=CaseStatus.SENT,
                report_version=delivery.report.version if delivery.report else None,
            )
    except (TransitionNotAllowed, CaseRuleError) as exc:
        logger.warning("delivery %s sent; case status left as it is: %s", delivery.pk, exc)


def _audit_details(delivery: Delivery) -> dict:
    details = {
        "delivery": delivery.pk,
        **({"document": delivery.document} if delivery.document != DocumentKind.REPORT else {}),
        "version": delivery.report.version if delivery.report else None,
        "recipient": delivery.recipient,
        "channel": delivery.channel,
        "encrypted": delivery.encrypted,
        "attempts": delivery.attempts,
    }
    if delivery.sha256:
        details["sha256"] = delivery.sha256  # of the encrypted file that was attached
    elif delivery.report is not None:
        details["sha256"] = delivery.report.sha256
    elif delivery.letter is not None:
        details["sha256"] = delivery.letter.sha256
    if delivery.expires_at:
        details["link_expires"] = delivery.expires_at
    return details


def _failed_attempt(delivery: Delivery, token: int, failure: mail.MailFailure) -> SendResult:
    """Try again later when the failure is transient and tries are left; else record it."""
    fenced = Delivery.objects.filter(pk=delivery.pk, claim=token, outcome=DeliveryOutcome.SENDING)
    logger.warning(
        "delivery %s attempt %d failed: %s", delivery.pk, delivery.attempts, failure.cause
    )
    if failure.transient and delivery.attempts < settings.REPORT_SEND_ATTEMPTS:
        wait = settings.REPORT_SEND_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1)
        retried = fenced.update(
            outcome=DeliveryOutcome.PENDING,
            cause=failure.cause,
            error=failure.detail,
            handing_over_since=None,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
        return SendResult("retry", wait) if retried else SKIPPED
    with transaction.atomic():
        if not fenced.update(
            outcome=DeliveryOutcome.FAILED,
            cause=failure.cause,
            error=failure.detail,
            handing_over_since=None,
        ):
            return SKIPPED
        delivery.refresh_from_db()
        audit_append(
            case=delivery.case,
            actor=delivery.sent_by,
            action=AuditAction.REPORT_SEND_FAILED,
            details={**_audit_details(delivery), "cause": failure.cause, "error": failure.detail},
        )
    return SendResult("failed")


@shared_task(
    name="cases.tasks.delivery_send_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the delivery counts its attempts (REPORT_SEND_ATTEMPTS)
)
def delivery_send_task(self, delivery_id: int, sealed_passphrase: str | None = None) -> None:
    passphrase = encryption.decrypt(sealed_passphrase) if sealed_passphrase else None
    result = delivery_send(delivery_id, passphrase=passphrase)
    if result.outcome == "retry":
        # On the same queue; without the passphrase: the first try kept the encrypted PDF.
        raise self.retry(args=(delivery_id,), kwargs={}, countdown=result.retry_in)


# The watchdog (beat): sends whose worker was lost.


def delivery_watchdog(*, older_than: timedelta | None = None) -> list[int]:
    """Queue again deliveries whose worker was lost; mark "uncertain" those lost while handing
    the email over. Returns the ids queued again."""
    if older_than is None:
        older_than = timedelta(seconds=settings.REPORT_SEND_STALE_SECONDS)
    stale = timezone.now() - older_than
    queued = []
    for delivery in Delivery.objects.filter(
        outcome=DeliveryOutcome.SENDING, claimed_at__lt=stale
    ).select_related("case", "report", "sent_by"):
        fenced = Delivery.objects.filter(
            pk=delivery.pk, claim=delivery.claim, outcome=DeliveryOutcome.SENDING
        )
        if delivery.handing_over_since is not None:
            # The claim stays: if that worker's send did land, it still records it as sent.
            failure = mail.MailFailure(
                DeliveryCause.UNCERTAIN,
                "The worker stopped while handing the email to the mail server: it may have "
                "been sent. Ask the subject (or check the mail server's log) before sending "
                "again.",
            )
            with transaction.atomic():
                if fenced.update(
                    outcome=DeliveryOutcome.FAILED, cause=failure.cause, error=failure.detail
                ):
                    audit_append(
                        case=delivery.case,
                        actor=None,
                        action=AuditAction.REPORT_SEND_FAILED,
                        details={**_audit_details(delivery), "cause": failure.cause},
                    )
        elif fenced.update(outcome=DeliveryOutcome.PENDING, next_attempt_at=None):
            queued.append(delivery.pk)
    never_taken = (
        Delivery.objects.filter(outcome=DeliveryOutcome.PENDING)
        .filter(
            Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, created_at__lt=stale)
        )
        .exclude(pk__in=queued)
    )
    for delivery in never_taken:
        if delivery.encrypted and not delivery.file:
            # Only its own message holds the passphrase: nothing else can send it.
            _give_up_without_passphrase(delivery)
        else:
            queued.append(delivery.pk)
    transaction.on_commit(lambda: [delivery_send_task.delay(pk) for pk in queued])
    return queued


def _give_up_without_passphrase(delivery: Delivery) -> None:
    failure = mail.MailFailure(
        DeliveryCause.INTERRUPTED,
        "No worker took the send in time, and the passphrase is kept nowhere. Send the report "
        "again: a new passphrase will be shown.",
    )
    with transaction.atomic():
        if Delivery.objects.filter(
            pk=delivery.pk, outcome=DeliveryOutcome.PENDING, claim=delivery.claim
        ).update(outcome=DeliveryOutcome.FAILED, cause=failure.cause, error=failure.detail):
            audit_append(
                case=delivery.case,
                actor=None,
                action=AuditAction.REPORT_SEND_FAILED,
                details={**_audit_details(delivery), "cause": failure.cause},
            )


@shared_task(name="cases.tasks.delivery_watchdog_task", ignore_result=True)
def delivery_watchdog_task() -> None:
    delivery_watchdog()


# What the officer does after sending.


def link_revoke(*, delivery: Delivery, actor) -> Delivery:
    """Withdraw a sent link: from now on it answers like one that never existed."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
        if locked.channel != DeliveryChannel.LINK or locked.outcome != DeliveryOutcome.SENT:
            raise DeliveryRefused("Only a link that was sent can be revoked.")
        if locked.revoked_at is not None:
            raise DeliveryRefused("This link no longer works already.")
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.revoke_reason = "Revoked by an officer."
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_append(
            case=locked.case,
            actor=actor,
            action=AuditAction.LINK_REVOKED,
            details={"delivery": locked.pk},
        )
    return locked


def passphrase_record_handoff(
    *, delivery: Delivery, actor, via: str, given_at: datetime
) -> Delivery:
    """Record how and when the passphrase of an encrypted PDF reached the subject."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
        if not locked.encrypted or locked.outcome != DeliveryOutcome.SENT:
            raise DeliveryRefused("Only an encrypted PDF that was sent has a passphrase to give.")
        if locked.passphrase_given_at is not None:
            raise DeliveryRefused("How the passphrase was given is already recorded.")
        if given_at > timezone.now():
            raise DeliveryRefused("The passphrase cannot have been given in the future.")
        if given_at < locked.created_at.replace(second=0, microsecond=0):
            raise DeliveryRefused("The passphrase cannot have been given before it was made.")
        locked.passphrase_given_via, locked.passphrase_given_at = via, given_at
        locked.passphrase_given_by = actor
        locked.save(
            update_fields=["passphrase_given_via", "passphrase_given_at", "passphrase_given_by"]
        )
        audit_append(
            case=locked.case,
            actor=actor,
            action=AuditAction.PASSPHRASE_GIVEN,
            details={"delivery": locked.pk, "via": via, "given_at": given_at},
        )
    return locked
