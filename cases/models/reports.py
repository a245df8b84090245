"""Report versions (what the subject receives), each delivery of one, and what happened at a
download link."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from .case import Case
from .organisation import ProfileSnapshot


def private_storage():
    """Reports hold personal data: they live in the private storage, never under a served URL."""
    return storages["private"]


def report_upload_to(report: "Report", filename: str) -> str:
    return f"reports/{report.case.reference}/{filename}"


class ReportStatus(models.TextChoices):
    GENERATING = "generating", "Generating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """One version of a case's access report, kept as it was made (or why it could not be)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.GENERATING
    )
    error = models.TextField(blank=True)
    file = models.FileField(
        storage=private_storage, upload_to=report_upload_to, max_length=300, blank=True
    )
    json_file = models.FileField(
        "JSON export",
        storage=private_storage,
        upload_to=report_upload_to,
        max_length=300,
        blank=True,
    )
    csv_file = models.FileField(
        "CSV export",
        storage=private_storage,
        upload_to=report_upload_to,
        max_length=300,
        blank=True,
    )
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    # Of the exports, as made: checked, like the PDF's, whenever a file is served or sent.
    json_sha256 = models.CharField("JSON export SHA-256", max_length=64, blank=True)
    csv_sha256 = models.CharField("CSV export SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    pages = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The worker building this version claims it (compare-and-set); `build_attempts` is the
    # claim's fencing token, so only the latest claim may record the result.
    build_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    build_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A case with failed windows is reported only when the officer acknowledges the gap.
    acknowledged_gaps = models.BooleanField(default=False)
    gaps_text = models.TextField(blank=True, help_text="The gaps as the report states them.")
    # The organisation profile's text this version was made with (kept after retention).
    profile_snapshot = models.ForeignKey(
        ProfileSnapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The language this version was made in (the case's when it was built).
    language = models.CharField(max_length=5, blank=True, editable=False)

    class Meta:
        ordering = ["case_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="one_report_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} report v{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.case.reference}-access-report-v{self.version}.pdf"


class DocumentKind(models.TextChoices):
    """What a delivery carries to the subject; each kind says which files and which email."""

    REPORT = "report", "Access report"
    REFUSAL = "refusal", "Refusal letter"  # the answer owed when a request is rejected


class DeliveryChannel(models.TextChoices):
    ATTACHMENT = "attachment", "Email attachment (encrypted PDF)"
    LINK = "link", "Secure download link"


class DeliveryOutcome(models.TextChoices):
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# A delivery in one of these is under way or done: it blocks another of the same kind.
LIVE_OUTCOMES = (DeliveryOutcome.PENDING, DeliveryOutcome.SENDING, DeliveryOutcome.SENT)


class DeliveryCause(models.TextChoices):
    """Why a delivery failed, in the words the officer acts on."""

    UNAVAILABLE = "unavailable", "The mail server could not be reached or asked us to try later"
    REFUSED = "refused", "The mail server refused the email"
    RECIPIENT_REFUSED = "recipient_refused", "The mail server refused the recipient's address"
    MAIL_SETTINGS = "mail_settings", "The mail server refused our sign-in or sender address"
    TOO_LARGE = "too_large", "The file is too large to attach"
    FILE = "file", "The report's file could not be read"
    NOT_SENDABLE = "not_sendable", "The report could no longer be sent"
    INTERRUPTED = "interrupted", "The worker stopped before the email was handed over"
    UNCERTAIN = "uncertain", "The worker stopped while handing the email over: it may have gone"


class PassphraseHandoff(models.TextChoices):
    PHONE = "phone", "By phone"
    SMS = "sms", "By text message (SMS)"
    LETTER = "letter", "By letter"
    IN_PERSON = "in_person", "In person"


class RefusalVia(models.TextChoices):
    """How a refusal reached the subject when the portal did not send the letter."""

    LETTER = "letter", "By letter"
    PHONE = "phone", "By phone"
    IN_PERSON = "in_person", "In person"
    EMAIL = "email", "By email sent outside the portal"


def letter_upload_to(letter: "RefusalLetter", filename: str) -> str:
    # In the case's report folder: retention removes it with the reports.
    return f"reports/{letter.case.reference}/{filename}"


class RefusalLetter(models.Model):
    """The letter that tells the subject why their request is refused (GDPR Art. 12(4) and
    each regime's equivalent), as made for sending: kept so that what went out can be shown."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="refusal_letters")
    file = models.FileField(storage=private_storage, upload_to=letter_upload_to, max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField()
    language = models.CharField(max_length=8)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at"]

    def __str__(self) -> str:
        return f"{self.case.reference} refusal letter"


def delivery_upload_to(delivery: "Delivery", filename: str) -> str:
    # Beside the report's files: the case's report folder is removed as a whole by retention.
    return f"reports/{delivery.case.reference}/delivery-{delivery.pk}-{filename}"


class Delivery(models.Model):
    """One sending of a document (today: a report version) to the subject, by one channel.

    Created pending by the officer's request, claimed and sent by one worker (`claim` is the
    fencing token: only the latest claim may record an outcome). A link delivery stays usable
    until `expires_at`, unless revoked (by an officer, or locked after too many wrong codes).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deliveries")
    document = models.CharField(
        max_length=20, choices=DocumentKind.choices, default=DocumentKind.REPORT
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    letter = models.ForeignKey(
        RefusalLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(
        max_length=12, choices=DeliveryChannel.choices, default=DeliveryChannel.ATTACHMENT
    )
    recipient = models.EmailField(help_text="The address it went to, as verified then.")
    encrypted = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=8, choices=DeliveryOutcome.choices, default=DeliveryOutcome.PENDING
    )
    cause = models.CharField(max_length=20, choices=DeliveryCause.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # The one-time token of the form that asked for it: a resubmitted form finds this row.
    request_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    claim = models.PositiveIntegerField(default=0, help_text="Fencing token of the latest claim.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set while the mail server is being handed the email: a worker lost then may have sent it.
    handing_over_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The encrypted PDF as attached (made once, so a retry needs no passphrase) and its SHA-256.
    file = models.FileField(
        storage=private_storage, upload_to=delivery_upload_to, max_length=300, blank=True
    )
    sha256 = models.CharField("SHA-256 of what was sent", max_length=64, blank=True)
    # The download link: only a hash of its secret is kept.
    link_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    # How the passphrase of an encrypted PDF reached the subject (never the passphrase itself).
    passphrase_given_via = models.CharField(
        max_length=12, choices=PassphraseHandoff.choices, blank=True
    )
    passphrase_given_at = models.DateTimeField(null=True, blank=True)
    passphrase_given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["report", "channel"],
                condition=models.Q(outcome__in=LIVE_OUTCOMES, revoked_at__isnull=True),
                name="one_live_delivery_per_report_and_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_document_display().lower()} to {self.recipient}: " + (
            self.get_outcome_display()
        )

    def save(self, *args, **kwargs):
        if self.case_id is None and self.report is not None:
            self.case = self.report.case  # a report's delivery belongs to the report's case
        super().save(*args, **kwargs)

    @property
    def is_link(self) -> bool:
        return self.channel == DeliveryChannel.LINK

    def link_state(self, now=None) -> str:
        """ "usable", "revoked", "expired" or "not sent" (for link deliveries)."""
        if self.outcome != DeliveryOutcome.SENT:
            return "not sent"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None or self.expires_at <= (now or timezone.now()):
            return "expired"
        return "usable"

    @property
    def awaits_passphrase(self) -> bool:
        """An encrypted PDF went out and the passphrase is not yet recorded as given."""
        return (
            self.encrypted
            and self.outcome == DeliveryOutcome.SENT
            and self.passphrase_given_at is None
        )


class LinkAction(models.TextChoices):
    CODE_REQUESTED = "code_requested", "Code requested"
    CODE_SENT = "code_sent", "Code emailed"
    CODE_WRONG = "code_wrong", "Wrong code"
    LOCKED = "locked", "Locked after too many wrong codes"
    VIEWED = "viewed", "Page viewed"
    DOWNLOADED = "downloaded", "Downloaded"


class LinkAccess(models.Model):
    """What happened at a download link: each code request, code, view and download."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=LinkAction.choices)
    detail = models.CharField(max_length=40, blank=True, help_text="The file, or the page.")
    # A keyed hash of the client's address: throttles per address without keeping the address.
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "link accesses"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.detail} at {self.at:%Y-%m-%d %H:%M}"
