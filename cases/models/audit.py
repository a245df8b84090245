"""The audit trail: each case's append-only hash chain (AuditEntry), the personal values beside
it (AuditValues), and the global ledger (LedgerEntry) that links every chain's every head, in the
order written, into one more chain.

A case's chain proves its entries were not edited in place; the ledger proves no chain was cut,
re-hashed or deleted with its case, and its head, anchored outside the database
(`manage.py audit_anchor`), proves the ledger itself was not rewritten before the last anchor.
The chain hashes salted commitments to personal values, never the values (cases/audit_values.py),
so retention can erase the values and every chain still verifies.
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from ..audit_values import MISSING, commitments_in, reveal
from .case import Case


class AuditAction(models.TextChoices):
    CREATED = "created", "Case created"
    UPDATED = "updated", "Fields changed"
    IDENTITY_VERIFIED = "identity_verified", "Identity verified"
    STATUS_CHANGED = "status_changed", "Status changed"
    EXTENDED = "extended", "Deadline extended"
    CLOCK_PAUSED = "clock_paused", "Clock stopped for a clarification"
    CLOCK_RESUMED = "clock_resumed", "Clock restarted"
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
    TRAIL_DOWNLOADED = "trail_downloaded", "Audit trail downloaded"
    DATA_PURGED = "data_purged", "Collected data and reports deleted (retention)"
    VERIFICATION_CLEARED = "verification_cleared", "Identity verification undone"
    SEND_REQUESTED = "send_requested", "Sending to the subject requested"
    PASSPHRASE_GIVEN = "passphrase_given", "Passphrase given to the subject"
    LINK_REVOKED = "link_revoked", "Download link revoked"
    LINK_CODE_REQUESTED = "link_code_requested", "Download code requested"
    LINK_CODE_SENT = "link_code_sent", "Download code emailed"
    LINK_CODE_WRONG = "link_code_wrong", "Wrong download code"
    LINK_LOCKED = "link_locked", "Download link locked (too many wrong codes)"
    LINK_VIEWED = "link_viewed", "Download page viewed by the subject"
    LINK_DOWNLOADED = "link_downloaded", "Downloaded by the subject"
    REPORT_FILE_ALTERED = "report_file_altered", "Report file altered: refused"
    OTHER_SYSTEMS_RECORDED = "other_systems_recorded", "Other systems' outcomes recorded"
    TRAIL_MIGRATED = "trail_migrated", "Personal values moved beside the chain (old head kept)"
    LEGAL_HOLD_PLACED = "legal_hold_placed", "Legal hold placed"
    LEGAL_HOLD_LIFTED = "legal_hold_lifted", "Legal hold lifted"
    CASE_ANONYMISED = "case_anonymised", "Case anonymised (retention); personal values erased"
    CASE_FILE_PRODUCED = "case_file_produced", "Case file produced"
    CASE_FILE_DOWNLOADED = "case_file_downloaded", "Case file downloaded"
    REFUSAL_SEND_REQUESTED = "refusal_send_requested", "Refusal letter: sending asked for"
    REFUSAL_GIVEN = "refusal_given", "Refusal given to the subject another way"


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

    @property
    def values_kept(self) -> "AuditValues | None":
        """The row of values beside this entry, if there is one."""
        try:
            return self.values_row
        except AuditValues.DoesNotExist:
            return None

    @property
    def readable_details(self) -> dict:
        """The details as given, each personal value read back from beside the chain, or
        "(erased)" once retention erased it. Load entries with `select_related("values_row")`."""
        if not commitments_in(self.details):
            return self.details
        kept = self.values_kept
        if kept is None:
            return reveal(self.details, None, absent=MISSING)
        return reveal(self.details, None if kept.erased_at else kept.values)

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


class AuditValues(models.Model):
    """The personal values (and their salts) one entry's details commit to: written with the
    entry, never changed, erased (values and salts gone, the row kept) by retention."""

    entry = models.OneToOneField(
        AuditEntry, on_delete=models.PROTECT, primary_key=True, related_name="values_row"
    )
    values = models.JSONField(default=dict)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit values"

    def __str__(self) -> str:
        return f"values of {self.entry_id}" + (" (erased)" if self.erased_at else "")


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Ledger entries cannot be deleted.")


class LedgerEntry(models.Model):
    """One link of the global ledger: a case's chain got a new head (#1 is its creation).

    Written with the audit entry, in the same transaction, so the ledger holds exactly one link
    per audit entry. The case is named by reference, not by a foreign key: a case deleted with
    its chain stays named here.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    case_reference = models.CharField(max_length=20)
    case_sequence = models.PositiveIntegerField()
    case_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["case_reference", "case_sequence"], name="ledger_one_link_per_entry"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.case_reference}#{self.case_sequence}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Ledger entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries cannot be deleted.")

    def compute_hash(self) -> str:
        content = json.dumps(
            {
                "sequence": self.sequence,
                "created_at": self.created_at.isoformat(),
                "case": self.case_reference,
                "case_sequence": self.case_sequence,
                "case_hash": self.case_hash,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256((self.previous_hash + content).encode()).hexdigest()


class LedgerHead(models.Model):
    """The ledger's length and last hash, in one row that is locked while a link is appended
    (so links are numbered one after another, never twice)."""

    length = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"ledger head #{self.length}"
