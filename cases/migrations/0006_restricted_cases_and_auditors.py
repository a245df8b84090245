from django.db import migrations, models

GROUP = "Auditors"
# Read cases, their notes, events, reports' records and audit trails; change nothing. Downloads
# need cases.work_case, which auditors do not have.
PERMISSIONS = [
    "view_case",
    "view_casenote",
    "view_auditentry",
    "view_activityevent",
    "view_harvestwindow",
    "view_report",
    "view_delivery",
]


def create_group(apps, schema_editor):
    # Permissions are normally created after migrations; the group needs them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="cases", codename__in=PERMISSIONS)
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_deadline_reminders"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="restricted",
            field=models.BooleanField(
                default=False,
                help_text="Only the assigned officer and administrators can see this case.",
                verbose_name="restricted to the assigned officer",
            ),
        ),
        migrations.RunPython(create_group, remove_group),
    ]
