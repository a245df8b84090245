# Cases logged before regimes existed were GDPR cases: the field's default keeps them so.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0022_delivery_case_and_one_live'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='clock_paused_days',
            field=models.PositiveIntegerField(default=0, verbose_name='days the clock was stopped'),
        ),
        migrations.AddField(
            model_name='case',
            name='clock_paused_on',
            field=models.DateField(blank=True, null=True, verbose_name='clock stopped on'),
        ),
        migrations.AddField(
            model_name='case',
            name='clock_resumed_on',
            field=models.DateField(blank=True, null=True, verbose_name='clock restarted on'),
        ),
        migrations.AddField(
            model_name='case',
            name='regime',
            field=models.CharField(choices=[('gdpr', 'EU GDPR'), ('uk-gdpr', 'UK GDPR'), ('dpdp', 'India DPDP'), ('ccpa', 'California CCPA'), ('lgpd', 'Brazil LGPD')], default='gdpr', help_text='The law the request is answered under; it sets the deadline.', max_length=10),
        ),
        migrations.AddField(
            model_name='organisationprofile',
            name='default_regime',
            field=models.CharField(choices=[('gdpr', 'EU GDPR'), ('uk-gdpr', 'UK GDPR'), ('dpdp', 'India DPDP'), ('ccpa', 'California CCPA'), ('lgpd', 'Brazil LGPD')], default='gdpr', help_text='The law new requests are logged under unless the officer chooses another.', max_length=10),
        ),
        migrations.AddField(
            model_name='organisationprofile',
            name='dpdp_response_days',
            field=models.PositiveSmallIntegerField(default=90, help_text='The period you publish for answering Data Principals under Rule 14(3) of the DPDP Rules 2025: at most 90 days. Applies to DPDP cases logged after a change.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)], verbose_name='DPDP response period (days)'),
        ),
    ]
