from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0031_auditors_read_restricted_cases")]

    operations = [
        # The longer index serves what (case, status) served, and a page of failed windows.
        migrations.RemoveIndex(model_name="harvestwindow", name="cases_harve_case_id_d5a5fd_idx"),
        migrations.AddIndex(
            model_name="harvestwindow",
            index=models.Index(
                fields=["case", "status", "channel", "start", "id"], name="window_case_status"
            ),
        ),
    ]
