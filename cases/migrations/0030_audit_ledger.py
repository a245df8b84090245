import hashlib
import json

from django.core.files.storage import storages
from django.db import migrations, models

GENESIS_HASH = "0" * 64


def ledger_hash(previous_hash: str, link: dict) -> str:
    # As LedgerEntry.compute_hash when this migration was written.
    content = json.dumps(link, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + content).encode()).hexdigest()


def link_existing_entries(apps, schema_editor):
    """One ledger link per audit entry written so far, in the order they were written."""
    AuditEntry = apps.get_model("cases", "AuditEntry")
    LedgerEntry = apps.get_model("cases", "LedgerEntry")
    LedgerHead = apps.get_model("cases", "LedgerHead")
    previous, sequence, batch = GENESIS_HASH, 0, []
    entries = AuditEntry.objects.select_related("case").order_by("id")
    for entry in entries.iterator(chunk_size=2000):
        sequence += 1
        link = {
            "sequence": sequence,
            "created_at": entry.created_at.isoformat(),
            "case": entry.case.reference,
            "case_sequence": entry.sequence,
            "case_hash": entry.hash,
        }
        digest = ledger_hash(previous, link)
        batch.append(
            LedgerEntry(
                sequence=sequence,
                created_at=entry.created_at,
                case_reference=entry.case.reference,
                case_sequence=entry.sequence,
                case_hash=entry.hash,
                previous_hash=previous,
                hash=digest,
            )
        )
        previous = digest
        if len(batch) >= 2000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)
    LedgerHead.objects.create(pk=1, length=sequence, hash=previous)


def record_export_hashes(apps, schema_editor):
    """The exports of versions made so far, as they are now (checked from here on)."""
    Report = apps.get_model("cases", "Report")
    storage = storages["private"]
    for report in Report.objects.exclude(json_file="", csv_file=""):
        found = {}
        for field, digest_field in (("json_file", "json_sha256"), ("csv_file", "csv_sha256")):
            name = getattr(report, field).name
            if not name:
                continue
            digest = hashlib.sha256()
            try:
                with storage.open(name, "rb") as file:
                    for chunk in iter(lambda f=file: f.read(1 << 20), b""):
                        digest.update(chunk)
            except FileNotFoundError:
                continue
            found[digest_field] = digest.hexdigest()
        Report.objects.filter(pk=report.pk).update(**found)


class Migration(migrations.Migration):
    dependencies = [("cases", "0060_case_regime_and_clock")]

    operations = [
        migrations.CreateModel(
            name="LedgerHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("length", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS_HASH, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="LedgerEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(unique=True)),
                ("created_at", models.DateTimeField()),
                ("case_reference", models.CharField(max_length=20)),
                ("case_sequence", models.PositiveIntegerField()),
                ("case_hash", models.CharField(max_length=64)),
                ("previous_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "verbose_name_plural": "ledger entries",
                "ordering": ["sequence"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case_reference", "case_sequence"),
                        name="ledger_one_link_per_entry",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="report",
            name="json_sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="JSON export SHA-256"),
        ),
        migrations.AddField(
            model_name="report",
            name="csv_sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="CSV export SHA-256"),
        ),
        migrations.RunPython(link_existing_entries, migrations.RunPython.noop),
        migrations.RunPython(record_export_hashes, migrations.RunPython.noop),
    ]
