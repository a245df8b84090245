from django.db import migrations


def settle_earlier_deliveries(apps, schema_editor):
    """Deliveries made before sends were claimed by a worker: give each its case; one left
    pending was cut short mid-request (failed, not to be sent now); of several sent of one
    version, the newest stays the live one."""
    Delivery = apps.get_model("cases", "Delivery")
    for delivery in Delivery.objects.filter(case__isnull=True).select_related("report"):
        delivery.case_id = delivery.report.case_id
        delivery.save(update_fields=["case"])
    Delivery.objects.filter(outcome="pending").update(
        outcome="failed", cause="interrupted", error="Cut short before sends were queued."
    )
    seen = set()
    for delivery in Delivery.objects.filter(outcome="sent").order_by("-created_at", "-id"):
        if delivery.report_id in seen:
            delivery.revoked_at = delivery.sent_at or delivery.created_at
            delivery.revoke_reason = "Sent again later."
            delivery.save(update_fields=["revoked_at", "revoke_reason"])
        seen.add(delivery.report_id)


class Migration(migrations.Migration):
    dependencies = [("cases", "0020_delivery_exactly_once_and_links")]

    operations = [migrations.RunPython(settle_earlier_deliveries, migrations.RunPython.noop)]
