from django.db import migrations, models

ANSWERED = ("sent", "closed")
FINISHED = ("sent", "closed", "rejected", "withdrawn")


def backfill_from_trail(apps, schema_editor):
    """Read each finished case's facts from its audit trail once, so nothing derives them again."""
    Case = apps.get_model("cases", "Case")
    AuditEntry = apps.get_model("cases", "AuditEntry")
    for case in Case.objects.filter(status__in=FINISHED).only("id", "status"):
        changes = AuditEntry.objects.filter(case=case, action="status_changed").order_by("sequence")
        answered_at = finished_at = None
        for entry in changes.only("created_at", "details"):
            to = (entry.details or {}).get("to")
            if to in ANSWERED and answered_at is None:
                answered_at = entry.created_at
            finished_at = entry.created_at if to in FINISHED else None
        Case.objects.filter(pk=case.pk).update(answered_at=answered_at, finished_at=finished_at)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_restricted_cases_and_auditors"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="finished_at",
            field=models.DateTimeField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill_from_trail, migrations.RunPython.noop),
    ]
