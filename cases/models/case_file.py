"""A case file prepared as a PDF for an officer or auditor: rendered by a worker (a long trail
takes longer than a web request should), kept privately beside the case's reports, downloaded
(each download audited) and deleted with the case's data by retention."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .case import Case
from .reports import ReportStatus, private_storage


def case_file_upload_to(prepared: "PreparedCaseFile", filename: str) -> str:
    # In the case's report folder: retention's data stage removes the folder as a whole.
    return f"reports/{prepared.case.reference}/case-file-{prepared.pk}-{filename}"


class PreparedCaseFile(models.Model):
    """One PDF of a case file, asked for on the case page. The worker building it claims it
    (compare-and-set on `build_started_at`; `build_attempts` is the claim's fencing token)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="prepared_case_files")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    with_notes = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.GENERATING
    )
    error = models.TextField(blank=True)
    file = models.FileField(
        storage=private_storage, upload_to=case_file_upload_to, max_length=300, blank=True
    )
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    pages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    build_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    build_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.reference} case file {self.pk} ({self.status})"

    @property
    def filename(self) -> str:
        return f"{self.case.reference}-case-file.pdf"
