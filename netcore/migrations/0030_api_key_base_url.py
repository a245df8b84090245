from django.db import migrations, models

# As netcore.endpoints.REGION_BASE_URLS when this migration was written.
REGION_BASE_URLS = {
    "us": "https://api.netcoresmartech.com",
    "in": "https://apiin.netcoresmartech.com",
    "eu": "https://euceeapi.netcorecloud.net",
}


def bind_existing_keys(apps, schema_editor):
    """Keys stored so far were entered for the address the account has now."""
    NetcoreAccount = apps.get_model("netcore", "NetcoreAccount")
    for account in NetcoreAccount.objects.all():
        address = account.base_url.rstrip("/") or REGION_BASE_URLS.get(account.region, "")
        NetcoreAccount.objects.filter(pk=account.pk).update(api_key_base_url=address)


class Migration(migrations.Migration):
    dependencies = [("netcore", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="netcoreaccount",
            name="api_key_base_url",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(bind_existing_keys, migrations.RunPython.noop),
    ]
