"""Trails written before personal values moved beside the chain are moved by the migration, on
PostgreSQL, with data in it: the values leave the hashed details, each migrated chain gets an
entry naming its old head, the ledger is only appended to, so an anchor taken before the
migration still verifies; a trail with no personal value stays exactly as it was, and a trail
that no longer verified is left for verify_audit to report."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.jobs.retention import apply_retention
from cases.models import GENESIS_HASH, AuditEntry, Case, LedgerEntry, LedgerHead

BEFORE = [("cases", "0032_window_failed_page_index")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


class OldTrail:
    """Writes trails as the portal did before the migration: details hashed as they are, every
    entry linked in the ledger (hashes computed by the models' own, unchanged, functions)."""

    def __init__(self, apps):
        self.Case = apps.get_model("cases", "Case")
        self.Entry = apps.get_model("cases", "AuditEntry")
        self.Link = apps.get_model("cases", "LedgerEntry")
        self.Head = apps.get_model("cases", "LedgerHead")
        self.now = timezone.now() - timedelta(days=2000)

    def case(self, reference: str, email: str, status: str = "received"):
        return self.Case.objects.create(
            reference=reference,
            subject_name=f"Subject of {reference}",
            subject_email=email,
            primary_keys=[email],
            channels=["email"],
            search_from=date(2020, 1, 1),
            search_to=date(2020, 3, 1),
            received_on=date(2020, 3, 2),
            due_date=date(2020, 4, 2),
            status=status,
            finished_at=self.now if status == "closed" else None,
        )

    def append(self, case, action: str, details: dict) -> str:
        self.now += timedelta(minutes=1)
        last = self.Entry.objects.filter(case=case).order_by("-sequence").first()
        entry = AuditEntry(
            sequence=case.audit_length + 1,
            created_at=self.now,
            actor_label="olivia",
            action=action,
            details=json.loads(json.dumps(details)),
            previous_hash=last.hash if last else GENESIS_HASH,
        )
        entry.hash = entry.compute_hash(case.reference)
        self.Entry.objects.create(case=case, **{f: getattr(entry, f) for f in FIELDS})
        case.audit_length = entry.sequence
        case.save(update_fields=["audit_length"])
        head, _ = self.Head.objects.get_or_create(pk=1)
        link = LedgerEntry(
            sequence=head.length + 1,
            created_at=entry.created_at,
            case_reference=case.reference,
            case_sequence=entry.sequence,
            case_hash=entry.hash,
            previous_hash=head.hash,
        )
        link.hash = link.compute_hash()
        self.Link.objects.create(**{f: getattr(link, f) for f in LINK_FIELDS})
        head.length, head.hash = link.sequence, link.hash
        head.save()
        return entry.hash


FIELDS = ("sequence", "created_at", "actor_label", "action", "details", "previous_hash", "hash")
LINK_FIELDS = (
    "sequence",
    "created_at",
    "case_reference",
    "case_sequence",
    "case_hash",
    "previous_hash",
    "hash",
)
PERSONAL = ("dora@example.com", "Dora rang back", "Dora Dias", "Dora asked")


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db(transaction=True)
def test_existing_trails_move_beside_the_chain_and_old_anchors_still_verify(postgres, tmp_path):
    old = OldTrail(migrate(BEFORE))
    dora = old.case("DSAR-2020-0001", "dora@example.com", status="closed")
    quiet = old.case("DSAR-2020-0002", "eli@example.com", status="collecting")
    broken = old.case("DSAR-2020-0003", "fay@example.com")
    gil = old.case("DSAR-2020-0004", "gil@example.com")
    old.append(gil, "note_added", {"text": "Gil wrote in"})
    old.append(gil, "events_viewed", {"page": 1})
    old.append(dora, "created", {"due_date": "2020-04-02", "subject_email": "dora@example.com"})
    old.append(quiet, "collection_started", {"windows": 9})
    old.append(dora, "updated", {"changes": {"subject_name": {"old": "D.", "new": PERSONAL[2]}}})
    old.append(broken, "note_added", {"text": "Fay wrote in"})
    old.append(dora, "note_added", {"text": PERSONAL[1]})
    old.append(quiet, "status_changed", {"from": "received", "to": "collecting"})
    old.append(broken, "note_added", {"text": "Fay wrote again"})
    old.append(dora, "status_changed", {"from": "received", "to": "closed", "reason": PERSONAL[3]})
    old_head_hash = old.append(
        dora, "report_sent", {"delivery": 1, "recipient": "dora@example.com", "attempts": 1}
    )
    count = old.Head.objects.get().length
    # An entry edited in place, before the migration: that chain no longer verifies.
    old.Entry.objects.filter(case=broken, sequence=2).update(details={"text": "Edited"})
    head = old.Head.objects.get()
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(
        json.dumps({"anchored_at": timezone.now().isoformat(), "count": count, "hash": head.hash})
    )
    quiet_hashes = list(old.Entry.objects.filter(case=quiet).values_list("hash", flat=True))

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # 0071 moves the values

    dora = Case.objects.get(reference="DSAR-2020-0001")
    entries = list(dora.audit_entries.select_related("values_row").order_by("sequence"))
    hashed = json.dumps([e.details for e in entries])
    assert not [value for value in PERSONAL if value in hashed]
    assert entries[2].readable_details == {"text": PERSONAL[1]}
    assert entries[4].readable_details["recipient"] == "dora@example.com"
    marker = entries[-1]
    assert (marker.sequence, marker.action, dora.audit_length) == (6, "trail_migrated", 6)
    assert marker.details["old_head"] == {"sequence": 5, "hash": old_head_hash}
    # The ledger was appended to, never rewritten: the marker is its newest link.
    assert LedgerHead.objects.get().length == count + 2  # the markers of Dora's and Gil's trails
    assert LedgerEntry.objects.get(sequence=count).hash == head.hash
    assert LedgerEntry.objects.get(case_reference=dora.reference, case_sequence=6).case_hash == (
        marker.hash
    )
    quiet = Case.objects.get(reference="DSAR-2020-0002")
    assert list(quiet.audit_entries.values_list("hash", flat=True)) == quiet_hashes
    assert not quiet.audit_entries.filter(action="trail_migrated").exists()

    assert verify("--case", dora.reference) == "ok: 6 entries in 1 cases; 0 redacted"
    with pytest.raises(CommandError) as caught:
        verify("--anchor", str(anchors))
    # Only the chain broken before the migration is reported: the anchor still verifies.
    assert str(caught.value).splitlines()[1:] == [
        "broken: DSAR-2020-0003: entry #2: content does not match hash"
    ]

    # The migrated case lives on: anonymised by retention, its trail still verifies.
    [anonymised] = apply_retention(now=timezone.now() + timedelta(days=5000)).anonymised
    assert anonymised.reference == dora.reference and anonymised.entries_erased == 5
    assert verify("--case", dora.reference) == "ok: 7 entries in 1 cases; 5 redacted"
    with pytest.raises(CommandError) as caught:
        verify("--anchor", str(anchors))
    assert "anchor" not in str(caught.value) and "DSAR-2020-0001" not in str(caught.value)

    # Gil's migrated chain rewritten after the anchor, chain and ledger consistently: while the
    # values are kept, the entries re-hashed as they were no longer give the old head.
    gil = Case.objects.get(reference="DSAR-2020-0004")
    assert verify("--case", gil.reference) == "ok: 3 entries in 1 cases; 0 redacted"
    rewrite_from(gil, 2, {"page": 7})
    with pytest.raises(CommandError, match="entry #3: the entries before the migration do not"):
        verify("--case", gil.reference)


def rewrite_from(case: Case, sequence: int, details: dict) -> None:
    """Give entry #sequence other details and re-hash the rest of the chain and the ledger's
    links to it, as someone owning the database would."""
    previous = case.audit_entries.get(sequence=sequence - 1).hash
    table, ledger = AuditEntry._meta.db_table, LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        for entry in case.audit_entries.filter(sequence__gte=sequence).order_by("sequence"):
            if entry.sequence == sequence:
                entry.details = details
            entry.previous_hash = previous
            entry.hash = entry.compute_hash(case.reference)
            cursor.execute(
                f"UPDATE {table} SET details = %s, previous_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(entry.details), entry.previous_hash, entry.hash, entry.pk],
            )
            previous = entry.hash
            if entry.action == "trail_migrated":
                link = LedgerEntry.objects.get(case_reference=case.reference, case_sequence=3)
                link.case_hash = entry.hash
                link.hash = link.compute_hash()
                cursor.execute(
                    f"UPDATE {ledger} SET case_hash = %s, hash = %s WHERE id = %s",
                    [link.case_hash, link.hash, link.pk],
                )
                cursor.execute(f"UPDATE {LedgerHead._meta.db_table} SET hash = %s", [link.hash])
