"""The tamper-evident audit trail: append entries to a case's hash chain (and a link to the global
ledger), and verify chains and the ledger.

Invariants: a case's entries are numbered 1..audit_length, each hashing the one before; every
entry has exactly one ledger link, written in the same transaction, naming its case, number and
hash; the ledger's links are numbered 1..LedgerHead.length, each hashing the one before.

Personal values never enter the chain: an entry's details hold salted commitments to them, and the
values with their salts sit in the entry's AuditValues row (cases/audit_values.py), written in the
same transaction. While kept, each value must match its commitment; once erased (by retention,
recorded by a later "case anonymised" entry) it reads as "(erased)" and is not compared.

Trails written before values moved beside the chain were rewritten once by the migration that
moved them: its "trail migrated" entry names the old head (number and hash), which is what the
ledger (and any anchor) recorded for those entries; while their values are kept, re-hashing the
entries as they were must give that head again.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .audit_state import state_differences
from .audit_values import commitments_in, split_personal, values_problem
from .models import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditValues,
    Case,
    LedgerEntry,
    LedgerHead,
)

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
        # Stored exactly as it will read back, so the hash verifies after a round trip.
        plain = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
        committed, values = split_personal(plain)
        entry = AuditEntry(
            case=locked,
            sequence=locked.audit_length + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor.get_username() if actor is not None else SYSTEM_ACTOR,
            action=action,
            details=committed,
            previous_hash=previous.hash if previous else GENESIS_HASH,
        )
        entry.hash = entry.compute_hash(locked.reference)
        entry.save()
        if values:
            AuditValues.objects.create(entry=entry, values=values)
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


def _migration_marker(case: Case) -> AuditEntry | None:
    return case.audit_entries.filter(action=AuditAction.TRAIL_MIGRATED).order_by("sequence").last()


def verify_chain(case: Case) -> tuple[int, ChainBreak | None]:
    """Check one case's chain and the personal values beside it; return the number of entries
    read and the first break, if any."""
    expected_previous = GENESIS_HASH
    count = 0
    marker = _migration_marker(case)
    marked = marker.sequence if marker else 0
    # The chain as it was before the migration, re-hashed while every value is kept.
    legacy_previous: str | None = GENESIS_HASH
    last_erased = last_anonymised = 0
    entries = case.audit_entries.select_related("values_row").order_by("sequence")
    for entry in entries.iterator(chunk_size=2000):
        count += 1
        if entry.sequence != count:
            return count, ChainBreak(case.reference, entry.sequence, f"expected #{count} here")
        if entry.previous_hash != expected_previous:
            return count, ChainBreak(case.reference, entry.sequence, "previous hash does not match")
        if entry.compute_hash(case.reference) != entry.hash:
            return count, ChainBreak(case.reference, entry.sequence, "content does not match hash")
        problem = _values_problem(entry)
        if problem:
            return count, ChainBreak(case.reference, entry.sequence, problem)
        kept = entry.values_kept
        if kept is not None and kept.erased_at is not None:
            last_erased = entry.sequence
        if entry.action == AuditAction.CASE_ANONYMISED:
            last_anonymised = entry.sequence
        if entry.sequence < marked:
            legacy_previous = _legacy_hash(entry, legacy_previous, case.reference)
        elif entry.sequence == marked:
            problem = _old_head_problem(entry, legacy_previous)
            if problem:
                return count, ChainBreak(case.reference, entry.sequence, problem)
        expected_previous = entry.hash
    if count != case.audit_length:
        return count, ChainBreak(
            case.reference, None, f"{case.audit_length} entries were written, {count} remain"
        )
    if last_erased > last_anonymised:
        return count, ChainBreak(
            case.reference,
            last_erased,
            "its personal values were erased, but no erasure is recorded after it",
        )
    return count, None


def _values_problem(entry: AuditEntry) -> str | None:
    """Whether the values beside the entry are the ones its details commit to."""
    kept = entry.values_kept
    if not commitments_in(entry.details):
        # No commitments: a row of values beside it would be an addition.
        if kept is not None and kept.values:
            return "values are kept beside it, but its details commit to none"
        return None
    if kept is None:
        return "its personal values are missing (deleted, not erased)"
    if kept.erased_at is not None:
        return "values are kept beside it after their erasure" if kept.values else None
    return values_problem(entry.details, kept.values)


def _legacy_hash(entry: AuditEntry, previous: str | None, reference: str) -> str | None:
    """The entry's hash as it was before its values moved beside the chain; None once a value
    is erased (what was hashed can no longer be shown)."""
    if previous is None:
        return None
    if commitments_in(entry.details):
        kept = entry.values_kept
        if kept is None or kept.erased_at is not None:
            return None
    as_written = AuditEntry(
        sequence=entry.sequence,
        created_at=entry.created_at,
        actor_label=entry.actor_label,
        action=entry.action,
        details=entry.readable_details,
        previous_hash=previous,
    )
    return as_written.compute_hash(reference)


def _old_head_problem(marker: AuditEntry, legacy_head: str | None) -> str | None:
    old_head = marker.details.get("old_head") or {}
    if old_head.get("sequence") != marker.sequence - 1:
        return "the migration's old head does not name the entry before it"
    if legacy_head is not None and legacy_head != old_head.get("hash"):
        return "the entries before the migration do not hash to the old head it recorded"
    return None


def verify_chain_in_ledger(case: Case) -> ChainBreak | None:
    """Check that the case's chain is exactly what the ledger recorded of it, entry for entry:
    catches a chain cut at its end, re-hashed after an edit, or never linked.

    Entries before a "trail migrated" entry were linked with the hashes they had before the
    migration: of those, the ledger is held to the old head the migration recorded (and the
    migration entry itself, linked with its new hash, covers the rewritten ones)."""
    marker = _migration_marker(case)
    old_head = (marker.details.get("old_head") or {}) if marker else {}
    entries = case.audit_entries.order_by("sequence").values_list("sequence", "hash")
    links = LedgerEntry.objects.filter(case_reference=case.reference).order_by("sequence")
    links = links.values_list("case_sequence", "case_hash")
    recorded = iter(links.iterator(chunk_size=2000))
    for sequence, digest in entries.iterator(chunk_size=2000):
        link = next(recorded, None)
        if link is None:
            return ChainBreak(case.reference, sequence, "not in the ledger")
        if marker is not None and sequence < marker.sequence:
            expected = old_head.get("hash") if sequence == old_head.get("sequence") else link[1]
            digest = expected
        if link != (sequence, digest):
            return ChainBreak(
                case.reference, link[0], "differs from the hash the ledger recorded for it"
            )
    missing = next(recorded, None)
    if missing is not None:
        return ChainBreak(case.reference, missing[0], "in the ledger, missing from the chain")
    return None


def redacted_count(case: Case) -> int:
    """Entries of the case whose personal values were erased (their commitments remain)."""
    return AuditValues.objects.filter(entry__case=case, erased_at__isnull=False).count()


@dataclass(frozen=True)
class CaseVerification:
    """What verifying one case found: entries read, entries redacted, problems (none: ok)."""

    entries: int
    redacted: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_case(case_id: int) -> CaseVerification:
    """Verify one case's chain, its personal values, its links in the ledger, and its row
    against what its trail says."""
    # The case row is locked while it is compared with its trail, so an entry being written at
    # the same moment cannot make them look different.
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("verified_by")
            .get(pk=case_id)
        )
        count, chain_break = verify_chain(case)
        found = [str(chain_break)] if chain_break else []
        in_ledger = verify_chain_in_ledger(case)
        if in_ledger:
            found.append(str(in_ledger))
        if not found:
            found += state_differences(case)
        return CaseVerification(count, redacted_count(case), tuple(found))


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
