"""Report versions (what the subject receives) and each delivery of one."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from .case import Case


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
