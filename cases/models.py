import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .deadlines import due_date_for
from .workflow import FINISHED, CaseStatus


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class VerificationMethod(models.TextChoices):
    EMAIL_CONTROL = "email_control", "Control of the email address on file"
    ACCOUNT_SIGN_IN = "account_sign_in", "Signed in to their customer account"
    KNOWN_DETAILS = "known_details", "Confirmed details only the subject knows"
    DOCUMENT_SIGHTED = "document_sighted", "Identity document seen (no copy kept)"
    OTHER = "other", "Other (described in the notes)"


class ReferenceCounter(models.Model):
    """The last case number used in a year, locked while a case is created so numbers never skip."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=FINISHED)


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    subject_name = models.CharField(max_length=200)
    subject_email = models.EmailField("subject email", help_text="Where the report is sent.")
    primary_keys = models.JSONField(
        "Netcore primary keys", default=list, help_text="The subject's identities in Netcore."
    )
    channels = models.JSONField(default=list)
    search_from = models.DateField("search from")
    search_to = models.DateField("search to")
    received_on = models.DateField()
    due_date = models.DateField(db_index=True)
    extended_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    subject_told_of_extension_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=32, choices=CaseStatus.choices, default=CaseStatus.RECEIVED, db_index=True
    )
    status_reason = models.TextField(blank=True)
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    verification_method = models.CharField(
        max_length=32, choices=VerificationMethod.choices, blank=True
    )
    verification_notes = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="verified_cases",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    restricted = models.BooleanField(
        "restricted to the assigned officer",
        default=False,
        help_text="Only the assigned officer and administrators can see this case.",
    )
    # Number of audit entries written; lets verification notice entries cut from the end.
    audit_length = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "reference"]
        permissions = [("work_case", "Can work on DSAR cases")]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("cases:detail", args=[self.reference])

    @property
    def original_due_date(self):
        return due_date_for(self.received_on)

    @property
    def is_extended(self) -> bool:
        return self.extended_on is not None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def days_left(self, today=None) -> int:
        return (self.due_date - (today or timezone.localdate())).days

    def channel_labels(self) -> list[str]:
        return [Channel(c).label for c in self.channels]


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.case} at {self.created_at:%Y-%m-%d %H:%M}"


class AuditAction(models.TextChoices):
    CREATED = "created", "Case created"
    UPDATED = "updated", "Fields changed"
    IDENTITY_VERIFIED = "identity_verified", "Identity verified"
    STATUS_CHANGED = "status_changed", "Status changed"
    EXTENDED = "extended", "Deadline extended"
    NOTE_ADDED = "note_added", "Note added"
    COLLECTION_STARTED = "collection_started", "Collection started"
    COLLECTION_RETRIED = "collection_retried", "Failed windows retried"
    COLLECTION_FINISHED = "collection_finished", "Collection finished"
    REPORT_GENERATED = "report_generated", "Report generated"
    REPORT_DOWNLOADED = "report_downloaded", "Report downloaded"
    EXPORT_DOWNLOADED = "export_downloaded", "Data export downloaded"
    REPORT_SENT = "report_sent", "Report sent to the subject"
    REPORT_SEND_FAILED = "report_send_failed", "Sending the report failed"
    EVENTS_VIEWED = "events_viewed", "Events viewed"
    DATA_PURGED = "data_purged", "Collected data and reports deleted (retention)"


class AppendOnlyError(Exception):
    """Audit entries are never changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted.")


GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One link in a case's hash chain: SHA-256 over the previous hash and this entry's content."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="audit_entries")
    sequence = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text so the chain still verifies after a user is renamed or deleted.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    details = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "sequence"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="audit_sequence_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.sequence} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    @property
    def action_label(self) -> str:
        return dict(AuditAction.choices).get(
            self.action, self.action.replace("_", " ").capitalize()
        )

    def canonical_content(self, case_reference: str) -> str:
        return json.dumps(
            {
                "case": case_reference,
                "sequence": self.sequence,
                "created_at": self.created_at.isoformat(),
                "actor": self.actor_label,
                "action": self.action,
                "details": self.details,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            cls=DjangoJSONEncoder,
        )

    def compute_hash(self, case_reference: str) -> str:
        content = self.previous_hash + self.canonical_content(case_reference)
        return hashlib.sha256(content.encode()).hexdigest()


class WindowStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class HarvestWindow(models.Model):
    """One request's worth of a case's collection: account × primary key × channel × ≤7 days.

    The window is the unit of idempotency: its events are replaced and it is marked done in one
    transaction. `attempts` doubles as a fencing token: only the latest claim may store.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="windows")
    account = models.ForeignKey("netcore.NetcoreAccount", on_delete=models.PROTECT)
    primary_key = models.CharField(max_length=255)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(
        max_length=8, choices=WindowStatus.choices, default=WindowStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    event_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Host and process of the worker that last claimed the window (for operators).
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["case_id", "account_id", "primary_key", "channel", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "account", "primary_key", "channel", "start"],
                name="one_window_per_slice",
            )
        ]
        indexes = [models.Index(fields=["case", "status"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel} {self.start}–{self.end}"


class ActivityEvent(models.Model):
    """One event of the subject's channel activity, as Netcore reported it."""

    # The fields read from a Netcore record (besides `raw`, which keeps the whole record).
    NETCORE_FIELDS = (
        "activity",
        "occurred_at",
        "activity_date_raw",
        "message_id",
        "message_name",
        "ip",
        "device",
        "os",
        "browser",
        "link",
    )

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    window = models.ForeignKey(HarvestWindow, on_delete=models.CASCADE, related_name="events")
    # Order within the window as Netcore sent it: identical records stay distinct events.
    # Every text from Netcore is unbounded TextField: an unexpected length must not lose a window.
    position = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    activity = models.TextField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    activity_date_raw = models.TextField(blank=True)
    message_id = models.TextField(blank=True)
    message_name = models.TextField(blank=True)
    ip = models.TextField(blank=True)
    device = models.TextField(blank=True)
    os = models.TextField(blank=True)
    browser = models.TextField(blank=True)
    link = models.TextField(blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "position"], name="one_event_per_position")
        ]
        indexes = [
            models.Index(fields=["case", "occurred_at", "id"]),
            models.Index(fields=["case", "channel", "activity"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.activity} {self.activity_date_raw}"


# Reports: what the subject receives (Art. 15), and each time it was sent.

ART15_DEFAULTS = {
    "controller_name": "Example Marketing Ltd",
    "controller_address": "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
    "dpo_contact": (
        "Data Protection Officer\nprivacy@example.com\n1 Example Street, London EC1A 1AA"
    ),
    "supervisory_authority": (
        "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire "
        "SK9 5AF, United Kingdom (ico.org.uk). You may also complain to the supervisory "
        "authority of the country where you live or work, or where you think the law was broken."
    ),
    "purposes": (
        "We use this data to send you the marketing emails and text messages you agreed to "
        "receive, to stop sending them when you ask us to, and to measure which messages were "
        "delivered, opened and clicked so that we send fewer, more relevant messages."
    ),
    "categories": (
        "Your contact identifiers (email address or mobile number); the messages sent to you; "
        "the activity Netcore recorded for each message (sent, delivered, opened, clicked, "
        "bounced, unsubscribed and similar); and, for opens and clicks, the IP address, device, "
        "operating system, browser and the link you followed."
    ),
    "recipients": (
        "Netcore Cloud, our email and SMS service provider, processes this data on our behalf "
        "under a data processing agreement. We do not sell it or share it with other companies "
        "for their own marketing."
    ),
    "retention": (
        "We keep message activity for 24 months after the message was sent, then delete it. "
        "We keep a record of an unsubscribe for as long as needed to respect it."
    ),
    "rights": (
        "You may ask us to correct data that is wrong (rectification), to delete it (erasure), "
        "to limit how we use it (restriction), and you may object at any time to its use for "
        "direct marketing, in which case we stop. Write to the Data Protection Officer above."
    ),
    "complaint": (
        "If you are unhappy with how we handled your data, you have the right to lodge a "
        "complaint with a supervisory authority (named above)."
    ),
    "source": (
        "You gave us your contact details when you signed up; the activity data is recorded "
        "automatically by Netcore when our messages are sent to you and when you interact "
        "with them."
    ),
    "automated_decisions": (
        "We do not make decisions about you based solely on automated processing, including "
        "profiling, that have legal or similarly significant effects on you."
    ),
    "transfers": (
        "Netcore may process this data outside the UK and the European Economic Area, "
        "including in India. These transfers are protected by the standard contractual "
        "clauses approved for this purpose (Art. 46(2)(c)); you may ask us for a copy."
    ),
    "signatory": "The Data Protection Officer",
}


class OrganisationProfile(models.Model):
    """Who the controller is and the Art. 15 information every report carries (a single row)."""

    controller_name = models.CharField(max_length=200, default=ART15_DEFAULTS["controller_name"])
    controller_address = models.TextField(default=ART15_DEFAULTS["controller_address"])
    dpo_contact = models.TextField(
        "DPO contact", default=ART15_DEFAULTS["dpo_contact"], help_text="Name, email and address."
    )
    supervisory_authority = models.TextField(default=ART15_DEFAULTS["supervisory_authority"])
    purposes = models.TextField("purposes (Art. 15(1)(a))", default=ART15_DEFAULTS["purposes"])
    categories = models.TextField(
        "categories of data (Art. 15(1)(b))", default=ART15_DEFAULTS["categories"]
    )
    recipients = models.TextField(
        "recipients (Art. 15(1)(c))", default=ART15_DEFAULTS["recipients"]
    )
    retention = models.TextField(
        "retention period (Art. 15(1)(d))", default=ART15_DEFAULTS["retention"]
    )
    rights = models.TextField(
        "rectification, erasure, restriction, objection (Art. 15(1)(e))",
        default=ART15_DEFAULTS["rights"],
    )
    complaint = models.TextField(
        "right to complain (Art. 15(1)(f))", default=ART15_DEFAULTS["complaint"]
    )
    source = models.TextField("source (Art. 15(1)(g))", default=ART15_DEFAULTS["source"])
    automated_decisions = models.TextField(
        "automated decision-making (Art. 15(1)(h))", default=ART15_DEFAULTS["automated_decisions"]
    )
    transfers = models.TextField(
        "safeguards for transfers (Art. 15(2))", default=ART15_DEFAULTS["transfers"]
    )
    signatory = models.CharField(
        max_length=200,
        default=ART15_DEFAULTS["signatory"],
        help_text="Who signs the cover letter.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organisation profile"

    def __str__(self) -> str:
        return self.controller_name

    def save(self, *args, **kwargs):
        self.pk = 1  # one organisation, one row
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "OrganisationProfile":
        """The profile, created with the defaults the first time it is asked for."""
        profile, _ = cls.objects.get_or_create(pk=1)
        return profile

    @property
    def is_default(self) -> bool:
        """True while the controller is still the placeholder: reports would name the wrong one."""
        return self.controller_name == ART15_DEFAULTS["controller_name"]


def private_storage():
    """Reports hold personal data: they live in the private storage, never under a served URL."""
    from django.core.files.storage import storages

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
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    pages = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A case with failed windows is reported only when the officer acknowledges the gap.
    acknowledged_gaps = models.BooleanField(default=False)
    gaps_text = models.TextField(blank=True, help_text="The gaps as the report states them.")

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


class DeliveryOutcome(models.TextChoices):
    PENDING = "pending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One email of a report to the subject."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.EmailField()
    encrypted = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=8, choices=DeliveryOutcome.choices, default=DeliveryOutcome.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.report} to {self.recipient}: {self.get_outcome_display()}"


class DeadlineReminder(models.Model):
    """A deadline reminder sent about a case on a day: the claim that makes it at most one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "case_id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "day"], name="one_reminder_per_case_and_day")
        ]

    def __str__(self) -> str:
        return f"Reminder about {self.case_id} on {self.day}"
