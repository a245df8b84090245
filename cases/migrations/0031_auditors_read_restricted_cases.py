from django.db import migrations

GROUP = "Auditors"
PERMISSIONS = ["audit_case"]


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; the group needs this one now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="cases", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="cases", codename__in=PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0030_audit_ledger")]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={
                "ordering": ["due_date", "reference"],
                "permissions": [
                    ("work_case", "Can work on DSAR cases"),
                    ("audit_case", "Can read every case, restricted ones too (auditors)"),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
