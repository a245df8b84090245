"""The tamper-evident audit trail: append entries to a case's hash chain, and verify chains."""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditEntry, Case

SYSTEM_ACTOR = "system"


def audit_append(*, case: Case, actor, action: str, details: dict | None = None) -> AuditEntry:
    """Append one entry to the case's chain; `actor` is a user, or None for the system.

    The case row is locked while the entry is written, so concurrent writers queue up instead of
    forking the chain.
    """
    with transaction.atomic():
        locked = Case.objects.select_for_update().only("id", "reference", "audit_length")
        locked = locked.get(pk=case.pk)
        previous = locked.audit_entries.order_by("-sequence").only("hash").first()
        entry = AuditEntry(
            case=locked,
            sequence=locked.audit_length + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor.get_username() if actor is not None else SYSTEM_ACTOR,
            action=action,
            # Stored exactly as it will read back, so the hash verifies after a round trip.
            details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
            previous_hash=previous.hash if previous else GENESIS_HASH,
        )
        entry.hash = entry.compute_hash(locked.reference)
        entry.save()
        Case.objects.filter(pk=locked.pk).update(audit_length=entry.sequence)
        case.audit_length = entry.sequence
    return entry


@dataclass(frozen=True)
class ChainBreak:
    case_reference: str
    sequence: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry #{self.sequence}" if self.sequence is not None else "the chain's end"
        return f"{self.case_reference}: {where}: {self.reason}"


def verify_chain(case: Case) -> tuple[int, ChainBreak | None]:
    """Check one case's chain; return the number of entries read and the first break, if any."""
    expected_previous = GENESIS_HASH
    count = 0
    for entry in case.audit_entries.order_by("sequence").iterator(chunk_size=2000):
        count += 1
        if entry.sequence != count:
            return count, ChainBreak(case.reference, entry.sequence, f"expected #{count} here")
        if entry.previous_hash != expected_previous:
            return count, ChainBreak(case.reference, entry.sequence, "previous hash does not match")
        if entry.compute_hash(case.reference) != entry.hash:
            return count, ChainBreak(case.reference, entry.sequence, "content does not match hash")
        expected_previous = entry.hash
    if count != case.audit_length:
        return count, ChainBreak(
            case.reference, None, f"{case.audit_length} entries were written, {count} remain"
        )
    return count, None
