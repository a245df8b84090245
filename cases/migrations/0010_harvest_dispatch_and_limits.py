from django.db import migrations, models


def running_claims_alive_since_they_started(apps, schema_editor):
    # Claims made before heartbeats existed count as last seen when they were made.
    HarvestWindow = apps.get_model("cases", "HarvestWindow")
    HarvestWindow.objects.filter(status="running").update(heartbeat_at=models.F("started_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0040_other_systems_and_time_zones"),
    ]

    operations = [
        migrations.AddField(
            model_name="harvestwindow",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("netcore", "Netcore error"),
                    ("rate_limiter", "Rate limiter unavailable"),
                    ("database", "Database error"),
                    ("time_limit", "Time limit reached"),
                    ("worker_lost", "Worker lost"),
                    ("internal", "Internal error"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="harvestwindow",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="harvestwindow",
            name="tries",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="harvestwindow",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
        migrations.AddIndex(
            model_name="harvestwindow",
            index=models.Index(fields=["queued_at"], name="cases_harve_queued__df6560_idx"),
        ),
        migrations.RunPython(running_claims_alive_since_they_started, migrations.RunPython.noop),
    ]
