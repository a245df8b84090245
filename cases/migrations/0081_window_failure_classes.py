"""Netcore failures in classes an officer can act on. Windows failed before are classified by
the error's name at the start of their recorded cause ("BadApiKey: …"); others stay "netcore"."""

from django.db import migrations, models

# The client's error names as causes begin with them (cases/harvest/window.py NETCORE_FAILURES).
CLASSES = {
    "BadApiKey": "key_refused",
    "ApiKeyUnreadable": "key_refused",
    "EndpointRefused": "key_refused",
    "Redirected": "key_refused",
    "RequestRejected": "range_refused",
    "RateLimited": "rate_limited",
    "ServerError": "netcore_down",
    "RequestTimeout": "timed_out",
    "ConnectionFailed": "unreachable",
    "BadResponse": "unreadable",
    "UnexpectedResponse": "unreadable",
}


def classify(apps, schema_editor):
    HarvestWindow = apps.get_model("cases", "HarvestWindow")
    for name, failure in CLASSES.items():
        HarvestWindow.objects.filter(failure="netcore", last_error__startswith=f"{name}:").update(
            failure=failure
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0080_case_language_and_profile_translations"),
    ]

    operations = [
        migrations.AlterField(
            model_name="harvestwindow",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("key_refused", "Key or address refused"),
                    ("range_refused", "Request refused"),
                    ("netcore_down", "Netcore unavailable"),
                    ("rate_limited", "Rate limited"),
                    ("timed_out", "Timed out"),
                    ("unreachable", "Netcore unreachable"),
                    ("unreadable", "Unreadable answer"),
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
        migrations.RunPython(classify, migrations.RunPython.noop),
    ]
