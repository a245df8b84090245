"""The request itself: who asked, what to search, the deadline, the status, identity checks."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from netcore.models import validate_timezone

from ..deadlines import due_date_for
from ..languages import ENGLISH, LANGUAGE_CHOICES
from ..regimes import DEFAULT_REGIME, REGIME_CHOICES, REGIMES, Regime
from ..workflow import FINISHED, CaseStatus


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


def pseudonym_email(pseudonym: str) -> str:
    """The address an anonymised case holds instead of the subject's (never deliverable)."""
    return f"{pseudonym.lower()}@anonymised.invalid"


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=FINISHED)

    def clock_running(self):
        """Open cases whose deadline is running (not stopped for a clarification)."""
        return self.open().filter(clock_paused_on__isnull=True)


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
    regime = models.CharField(
        max_length=10,
        choices=REGIME_CHOICES,
        default=DEFAULT_REGIME,
        help_text="The law the request is answered under; it sets the deadline.",
    )
    language = models.CharField(
        "subject's language",
        max_length=5,
        choices=LANGUAGE_CHOICES,
        default=ENGLISH,
        help_text="The language the subject is answered in: report, emails and download pages.",
    )
    due_date = models.DateField(db_index=True)
    # The clock stopped while a clarification asked of the subject is awaited (where the regime
    # allows it): since when, when it last restarted, and the days that did not count in all.
    clock_paused_on = models.DateField("clock stopped on", null=True, blank=True)
    clock_resumed_on = models.DateField("clock restarted on", null=True, blank=True)
    clock_paused_days = models.PositiveIntegerField("days the clock was stopped", default=0)
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
    # Every time in the report is in this zone (empty: the organisation profile's default).
    subject_timezone = models.CharField(
        "subject's time zone",
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="IANA name, e.g. Europe/Berlin: the report's times are in it. Empty: the "
        "organisation's default.",
    )
    restricted = models.BooleanField(
        "restricted to the assigned officer",
        default=False,
        help_text="Only the assigned officer and administrators can see this case.",
    )
    # Facts the dashboard and retention need, set by the status change that makes them true:
    # the first answer (sent, or closed without sending), and when the case last finished.
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # Number of audit entries written; lets verification notice entries cut from the end.
    audit_length = models.PositiveIntegerField(default=0, editable=False)
    # A legal hold (placed by an admin, with a reason) stops both stages of retention.
    legal_hold_since = models.DateTimeField(null=True, blank=True, editable=False)
    legal_hold_reason = models.TextField(blank=True, editable=False)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # When retention's accountability stage replaced the subject by a pseudonym.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "reference"]
        permissions = [
            ("work_case", "Can work on DSAR cases"),
            ("audit_case", "Can read every case, restricted ones too (auditors)"),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.reference])

    @property
    def regime_rules(self) -> Regime:
        return REGIMES[self.regime]

    @property
    def days_not_counted(self) -> int:
        """Days added to the deadline for clarifications awaited; a stopped clock already has the
        day the clarification was asked for, which never counts."""
        return self.clock_paused_days + (1 if self.clock_paused_on else 0)

    @property
    def original_due_date(self):
        """The first deadline, before any extension: the subject must be told of one by then."""
        if not self.is_extended:
            return self.due_date
        return due_date_for(self.received_on, self.regime, days_not_counted=self.days_not_counted)

    @property
    def is_extended(self) -> bool:
        return self.extended_on is not None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_since is not None

    def days_left(self, today=None) -> int:
        """Days to the deadline; while the clock is stopped, the days it stopped with."""
        if self.clock_paused_on:
            return (self.due_date - self.clock_paused_on).days
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
