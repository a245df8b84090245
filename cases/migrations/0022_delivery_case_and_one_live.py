import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0021_delivery_settle_earlier")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deliveries",
                to="cases.case",
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("outcome__in", ("pending", "sending", "sent")), ("revoked_at__isnull", True)
                ),
                fields=("report", "channel"),
                name="one_live_delivery_per_report_and_channel",
            ),
        ),
    ]
