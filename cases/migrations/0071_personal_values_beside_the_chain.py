"""Move the personal values of every trail written so far out of the hashed details.

For each case whose trail holds a personal value: every entry's details get salted commitments in
place of the values (which go to AuditValues), the chain is re-hashed from its first entry, and a
"trail_migrated" entry is appended that names the old head (its number and hash). That entry is
linked into the ledger like any other; the ledger's earlier links are left as they were, so every
anchor taken before still verifies, and `verify_audit` holds the ledger to the old head for the
entries before the migration entry (and, while the values are kept, re-hashes those entries as
they were to prove they still give the old head).

The functions below are frozen copies of the rules when this migration was written
(cases/audit_values.py, AuditEntry.canonical_content, LedgerEntry.compute_hash).
"""

import hashlib
import json
import secrets

from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations
from django.utils import timezone

PERSONAL_KEYS = frozenset(
    {
        "subject_name",
        "subject_email",
        "primary_keys",
        "recipient",
        "notes",
        "text",
        "reason",
        "question",
        "error",
    }
)
GENESIS_HASH = "0" * 64
BATCH = 2000


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def commit_all(node, values: dict):
    if isinstance(node, dict):
        return {key: commit_all(value, values) for key, value in node.items()}
    salt = secrets.token_bytes(16).hex()
    digest = hashlib.sha256(bytes.fromhex(salt) + canonical_json(node).encode()).hexdigest()
    values[digest] = {"salt": salt, "value": node}
    return {"commitment": digest}


def split(node, values: dict):
    if isinstance(node, dict):
        return {
            key: commit_all(value, values) if key in PERSONAL_KEYS else split(value, values)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [split(item, values) for item in node]
    return node


def entry_hash(reference: str, entry, details: dict, previous_hash: str) -> str:
    content = json.dumps(
        {
            "case": reference,
            "sequence": entry.sequence,
            "created_at": entry.created_at.isoformat(),
            "actor": entry.actor_label,
            "action": entry.action,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256((previous_hash + content).encode()).hexdigest()


def ledger_hash(previous_hash: str, link: dict) -> str:
    content = json.dumps(link, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + content).encode()).hexdigest()


def move_values(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    AuditEntry = apps.get_model("cases", "AuditEntry")
    AuditValues = apps.get_model("cases", "AuditValues")
    LedgerEntry = apps.get_model("cases", "LedgerEntry")
    LedgerHead = apps.get_model("cases", "LedgerHead")
    # Cases first, then the ledger's head: the order in which audit_append locks them.
    case_ids = list(Case.objects.select_for_update().order_by("id").values_list("id", flat=True))
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = LedgerEntry.objects.order_by("-sequence").first()
        head = LedgerHead.objects.create(
            pk=1, length=last.sequence if last else 0, hash=last.hash if last else GENESIS_HASH
        )
    for case_id in case_ids:
        case = Case.objects.get(pk=case_id)
        rewritten, kept, previous, moved, intact = [], [], GENESIS_HASH, 0, True
        old_head = {"sequence": 0, "hash": GENESIS_HASH}
        entries = AuditEntry.objects.filter(case=case).order_by("sequence")
        for entry in entries.iterator(chunk_size=BATCH):
            # A chain that no longer verifies is left as it is, for verify_audit to report.
            intact = intact and (
                entry.sequence == old_head["sequence"] + 1
                and entry.previous_hash == old_head["hash"]
                and entry_hash(case.reference, entry, entry.details, entry.previous_hash)
                == entry.hash
            )
            values: dict = {}
            details = split(entry.details, values)
            old_head = {"sequence": entry.sequence, "hash": entry.hash}
            moved += len(values)
            entry.details = details
            entry.previous_hash = previous
            entry.hash = entry_hash(case.reference, entry, details, previous)
            previous = entry.hash
            rewritten.append(entry)
            if values:
                kept.append(AuditValues(entry_id=entry.pk, values=values))
        if not moved:
            continue  # no personal value in this trail: it stays exactly as it is
        if not intact or old_head["sequence"] != case.audit_length:
            print(f"\n  {case.reference}: its audit trail does not verify; left unchanged")
            continue
        for start in range(0, len(rewritten), BATCH):
            AuditEntry.objects.bulk_update(
                rewritten[start : start + BATCH], ["details", "previous_hash", "hash"]
            )
        AuditValues.objects.bulk_create(kept, batch_size=BATCH)
        marker = AuditEntry(
            case=case,
            sequence=old_head["sequence"] + 1,
            created_at=timezone.now(),
            actor=None,
            actor_label="system",
            action="trail_migrated",
            details={"old_head": old_head, "values_moved": moved},
            previous_hash=previous,
        )
        marker.hash = entry_hash(case.reference, marker, marker.details, previous)
        marker.save()
        Case.objects.filter(pk=case.pk).update(audit_length=marker.sequence)
        link = LedgerEntry(
            sequence=head.length + 1,
            created_at=marker.created_at,
            case_reference=case.reference,
            case_sequence=marker.sequence,
            case_hash=marker.hash,
            previous_hash=head.hash,
        )
        link.hash = ledger_hash(
            link.previous_hash,
            {
                "sequence": link.sequence,
                "created_at": link.created_at.isoformat(),
                "case": link.case_reference,
                "case_sequence": link.case_sequence,
                "case_hash": link.case_hash,
            },
        )
        link.save()
        head.length, head.hash = link.sequence, link.hash
    head.save()


def refuse_to_put_values_back(apps, schema_editor):
    """The old chains cannot be restored (the ledger has linked the new ones): only a database
    with no values moved can go back."""
    if apps.get_model("cases", "AuditValues").objects.exists():
        raise RuntimeError(
            "Personal values were moved beside the audit chains; this cannot be undone."
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0070_redactable_trail_hold_and_snapshots")]

    operations = [migrations.RunPython(move_values, refuse_to_put_values_back)]
