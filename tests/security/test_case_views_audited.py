"""Every showing of a case's events (the case's "data collected" section, in any role, and the
admin) and every download of its report, exports or trail goes into that case's audit chain; the
chain still verifies. The case's other sections show no events and record no view."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.audit import verify_chain
from tests.factories import make_collected_case

pytestmark = pytest.mark.django_db


def entries(case, action: str):
    return list(case.audit_entries.filter(action=action).order_by("sequence"))


def test_each_showing_of_the_events_is_recorded(officer_client, officer, auditor):
    case = make_collected_case(actor=officer, events=150)
    data = reverse("cases:data", args=[case.reference])
    officer_client.get(data)
    officer_client.get(data, {"channel": "email", "events_page": "2"})
    reader = Client()
    reader.force_login(auditor)
    reader.get(data)
    for section in ("detail", "report", "trail", "notes"):  # no events there: nothing recorded
        reader.get(reverse(f"cases:{section}", args=[case.reference]))
    page = reader.get(reverse("cases:trail", args=[case.reference]), {"views": "shown"})

    viewed = entries(case, "events_viewed")
    assert [(e.actor_label, e.details) for e in viewed] == [
        ("olivia", {"page": 1, "channel": "", "activity": ""}),
        ("olivia", {"page": 2, "channel": "email", "activity": ""}),
        ("audrey", {"page": 1, "channel": "", "activity": ""}),
    ]
    # The trail shows them, in words, when asked to.
    assert "Audrey Auditor viewed the subject&#x27;s events" in page.content.decode()
    case.refresh_from_db()
    assert verify_chain(case) == (case.audit_length, None)


def test_progress_polling_is_not_recorded(officer_client, officer):
    """The progress answer holds counts, not events; it is polled every 1.5 s while collecting."""
    case = make_collected_case(actor=officer, events=3)
    before = case.audit_length
    for _ in range(3):
        officer_client.get(reverse("cases:progress", args=[case.reference]))
    case.refresh_from_db()
    assert case.audit_length == before


def test_downloads_are_recorded_and_refused_ones_are_not(officer_client, auditor, report):
    case = report.case
    officer_client.get(reverse("cases:report_pdf", args=[case.reference, 1]))
    officer_client.get(reverse("cases:report_export", args=[case.reference, 1, "csv"]))
    reader = Client()
    reader.force_login(auditor)
    assert reader.get(reverse("cases:report_pdf", args=[case.reference, 1])).status_code == 403
    downloads = entries(case, "report_downloaded") + entries(case, "export_downloaded")
    assert sorted((e.actor_label, e.details["format"]) for e in downloads) == [
        ("olivia", "csv"),
        ("olivia", "pdf"),
    ]


def test_showing_events_in_the_admin_is_recorded(admin_client, officer):
    first = make_collected_case(actor=officer, events=2)
    second = make_collected_case(actor=officer, events=2)
    admin_client.get("/admin/cases/activityevent/")
    assert len(entries(first, "events_viewed")) == 1
    assert len(entries(second, "events_viewed")) == 1
    event = first.events.first()
    admin_client.get(f"/admin/cases/activityevent/{event.pk}/change/")
    assert entries(first, "events_viewed")[-1].details == {"via": "admin", "event": event.pk}
    assert entries(first, "events_viewed")[-1].actor_label == "ada"


def test_staff_who_are_not_admins_do_not_see_restricted_cases_in_the_admin(
    restricted_case, other_officer
):
    from django.contrib.auth.models import Permission

    other_officer.is_staff = True
    other_officer.save()
    other_officer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_case", "view_auditentry"])
    )
    staff = Client()
    staff.force_login(other_officer)
    listing = staff.get("/admin/cases/case/")
    assert listing.status_code == 200
    assert restricted_case.reference not in listing.content.decode()
    assert staff.get(f"/admin/cases/case/{restricted_case.pk}/change/").status_code == 302
    assert restricted_case.reference not in staff.get("/admin/cases/auditentry/").content.decode()
