"""The tamper-evident audit trail: append entries to a case's hash chain (and a link to the global
ledger), and verify chains and the ledger.

Invariants: a case's entries are numbered 1..audit_length, each hashing the one before; every
entry has exactly one ledger link, written in the same transaction, naming its case, number and
hash; the ledger's links are numbered 1..LedgerHead.length, each hashing the one before.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditEntry, Case, LedgerEntry, LedgerHead

SYSTEM_ACTOR = "system"


def audit_append(*, case: Case, actor, action: str, details: dict | None = None) -> AuditEntry:
    """Append one entry to the case's chain; `actor` is a user, or None for the system.

    The case row is locked while the entry is written, so concurrent writers queue up instead of
    forking the chain; the ledger's head is locked last, for as short a time as possible.
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
        ledger_append(reference=locked.reference, entry=entry)
        case.audit_length = entry.sequence
    return entry


def _locked_ledger_head() -> LedgerHead:
    try:
        return LedgerHead.objects.select_for_update().get(pk=1)
    except LedgerHead.DoesNotExist:
        # Made by the migration; made again from the last link if the row was lost (a flushed
        # test database): the links are the record, the head only numbers the next one.
        last = LedgerEntry.objects.order_by("-sequence").first()
        head = LedgerHead(pk=1, length=last.sequence, hash=last.hash) if last else LedgerHead(pk=1)
        LedgerHead.objects.bulk_create([head], ignore_conflicts=True)
        return LedgerHead.objects.select_for_update().get(pk=1)


def ledger_append(*, reference: str, entry: AuditEntry) -> LedgerEntry:
    """Link `entry`, the new head of its case's chain, into the global ledger (call inside the
    transaction that writes the entry)."""
    head = _locked_ledger_head()
    link = LedgerEntry(
        sequence=head.length + 1,
        created_at=entry.created_at,
        case_reference=reference,
        case_sequence=entry.sequence,
        case_hash=entry.hash,
        previous_hash=head.hash,
    )
    link.hash = link.compute_hash()
    link.save()
    LedgerHead.objects.filter(pk=1).update(length=link.sequence, hash=link.hash)
    return link


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


def verify_chain_in_ledger(case: Case) -> ChainBreak | None:
    """Check that the case's chain is exactly what the ledger recorded of it, entry for entry:
    catches a chain cut at its end, re-hashed after an edit, or never linked."""
    entries = case.audit_entries.order_by("sequence").values_list("sequence", "hash")
    links = LedgerEntry.objects.filter(case_reference=case.reference).order_by("sequence")
    links = links.values_list("case_sequence", "case_hash")
    recorded = iter(links.iterator(chunk_size=2000))
    for sequence, digest in entries.iterator(chunk_size=2000):
        link = next(recorded, None)
        if link is None:
            return ChainBreak(case.reference, sequence, "not in the ledger")
        if link != (sequence, digest):
            return ChainBreak(
                case.reference, link[0], "differs from the hash the ledger recorded for it"
            )
    missing = next(recorded, None)
    if missing is not None:
        return ChainBreak(case.reference, missing[0], "in the ledger, missing from the chain")
    return None


@dataclass(frozen=True)
class LedgerState:
    """What a walk of the ledger found: its length and head, the cases it names, its breaks."""

    length: int
    head_hash: str
    references: frozenset[str]
    problems: tuple[str, ...]


def ledger_links() -> Iterator[LedgerEntry]:
    return LedgerEntry.objects.order_by("sequence").iterator(chunk_size=5000)


def verify_ledger() -> LedgerState:
    """Walk the whole ledger: links numbered without a gap, each hashing the one before, the
    head row agreeing with the links."""
    head = LedgerHead.objects.filter(pk=1).first() or LedgerHead(length=0)
    problems: list[str] = []
    references: set[str] = set()
    expected_previous, count, head_hash = GENESIS_HASH, 0, GENESIS_HASH
    for link in ledger_links():
        count += 1
        references.add(link.case_reference)
        if link.sequence != count:
            problems.append(f"ledger: link #{link.sequence} found where #{count} should be")
            break
        if link.previous_hash != expected_previous:
            problems.append(f"ledger: link #{count}: previous hash does not match")
            break
        if link.compute_hash() != link.hash:
            problems.append(f"ledger: link #{count}: content does not match hash")
            break
        expected_previous = link.hash
        if count == head.length:
            head_hash = link.hash
    # Links appended while walking come after the head read first: fewer is a cut.
    if not problems and count < head.length:
        problems.append(f"ledger: {head.length} links were written, {count} remain")
    elif not problems and head_hash != head.hash:
        problems.append(f"ledger: link #{head.length} is not the head the ledger recorded")
    return LedgerState(count, expected_previous, frozenset(references), tuple(problems))


def ledger_hash_at(sequence: int) -> str | None:
    """The hash of link #sequence (GENESIS_HASH for 0), or None when there is no such link."""
    if sequence == 0:
        return GENESIS_HASH
    return LedgerEntry.objects.filter(sequence=sequence).values_list("hash", flat=True).first()
