"""Audit entries: the append-only hash chain of everything done to a case."""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .case import Case


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
    OTHER_SYSTEMS_RECORDED = "other_systems_recorded", "Other systems' outcomes recorded"


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
