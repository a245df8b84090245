

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_case_answered_and_finished_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='report',
            name='build_attempts',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='report',
            name='build_started_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
