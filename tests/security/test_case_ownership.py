"""Who works a case and who sees it: restricting, unrestricting or reassigning a case is for
admins and its current officer, audited; auditors (the DPO's role) read restricted cases and their
trails, read-only, and each showing is audited; no one else sees them."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.services import CaseRuleError, case_update
from tests.factories import make_case
from tests.security.conftest import auditors_group

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_data(case: Case, **changes) -> dict:
    data = {
        "subject_name": case.subject_name,
        "subject_email": case.subject_email,
        "primary_keys": "\n".join(case.primary_keys),
        "channels": case.channels,
        "search_from": case.search_from.isoformat(),
        "search_to": case.search_to.isoformat(),
        "received_on": case.received_on.isoformat(),
        "assigned_officer": case.assigned_officer_id or "",
    }
    if case.restricted:
        data["restricted"] = "on"
    return {**data, **changes}


def test_another_officer_cannot_take_over_a_case(officer, other_officer, auditor, case):
    """The takeover: mark a colleague's case restricted and assign it to oneself."""
    takeover = edit_data(
        case, subject_name="Alex Q. Example", assigned_officer=other_officer.pk, restricted="on"
    )
    form = signed_in(other_officer).get(reverse("cases:edit", args=[case.reference]))
    assert 'name="restricted"' in form.content.decode()
    assert form.context["form"].fields["restricted"].disabled
    assert form.context["form"].fields["assigned_officer"].disabled

    response = signed_in(other_officer).post(reverse("cases:edit", args=[case.reference]), takeover)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.subject_name == "Alex Q. Example"  # other changes are still theirs to make
    assert (case.assigned_officer, case.restricted) == (officer, False)
    for user in (officer, auditor):
        assert signed_in(user).get(case.get_absolute_url()).status_code == 200


def test_the_rule_holds_in_the_service_too(officer, other_officer, case):
    for change in ({"restricted": True}, {"assigned_officer": other_officer}):
        with pytest.raises(CaseRuleError, match="Only the assigned officer or an administrator"):
            case_update(case=case, actor=other_officer, **change)
    case.refresh_from_db()
    assert (case.assigned_officer, case.restricted) == (officer, False)


def test_an_unassigned_case_is_taken_by_any_officer_who_may_then_restrict_it(
    other_officer, admin_user
):
    case = make_case(actor=admin_user)
    with pytest.raises(CaseRuleError):
        case_update(case=case, actor=other_officer, restricted=True)
    case_update(case=case, actor=other_officer, assigned_officer=other_officer)
    case_update(case=case, actor=other_officer, restricted=True)
    case.refresh_from_db()
    assert (case.assigned_officer, case.restricted) == (other_officer, True)


def test_its_officer_and_admins_restrict_reassign_and_unrestrict_audited(
    officer, other_officer, admin_user, case
):
    mine = signed_in(officer)
    url = reverse("cases:edit", args=[case.reference])
    assert mine.post(url, edit_data(case, restricted="on")).status_code == 302
    case.refresh_from_db()
    assert case.restricted
    assert mine.post(url, edit_data(case, assigned_officer=other_officer.pk)).status_code == 302
    case.refresh_from_db()
    assert case.assigned_officer == other_officer
    assert mine.get(case.get_absolute_url()).status_code == 404  # given away
    admin = signed_in(admin_user)
    changed = edit_data(case, assigned_officer=officer.pk)
    del changed["restricted"]
    assert admin.post(url, changed).status_code == 302

    changes = [
        (entry.actor_label, entry.details["changes"])
        for entry in case.audit_entries.filter(action="updated").order_by("sequence")
    ]
    assert changes == [
        ("olivia", {"restricted": {"old": False, "new": True}}),
        ("olivia", {"assigned_officer": {"old": "olivia", "new": "oscar"}}),
        (
            "ada",
            {
                "assigned_officer": {"old": "oscar", "new": "olivia"},
                "restricted": {"old": True, "new": False},
            },
        ),
    ]


def test_auditors_read_restricted_cases_and_their_trails_audited(auditor, restricted_case):
    reader = signed_in(auditor)
    page = reader.get(reverse("cases:data", args=[restricted_case.reference]))
    assert page.status_code == 200
    assert "Rita Restricted" in page.content.decode()  # the case, and its events (audited)
    trail = reader.get(reverse("cases:trail", args=[restricted_case.reference]))
    assert "logged the request" in trail.content.decode()
    assert reader.get(reverse("cases:progress", args=[restricted_case.reference])).status_code == (
        200
    )
    listing = reader.get(reverse("cases:list"), {"q": "rita"})
    assert listing.context["page"].paginator.count == 1
    last = restricted_case.audit_entries.order_by("-sequence").first()
    assert (last.action, last.actor_label) == ("events_viewed", "audrey")


def test_auditors_change_nothing_and_download_nothing_of_it(auditor, restricted_case):
    reader = signed_in(auditor)
    before = Case.objects.get(pk=restricted_case.pk).audit_length
    ref = restricted_case.reference
    for method, url in (
        ("get", reverse("cases:edit", args=[ref])),
        ("post", reverse("cases:note", args=[ref])),
        ("post", reverse("cases:status", args=[ref])),
        ("get", reverse("cases:report_pdf", args=[ref, 1])),
        ("get", reverse("cases:report_export", args=[ref, 1, "csv"])),
    ):
        assert getattr(reader, method)(url, {"text": "x"}).status_code == 403, url
    assert Case.objects.get(pk=restricted_case.pk).audit_length == before


def test_an_officer_who_is_also_an_auditor_reads_but_does_not_work_others_restricted_cases(
    other_officer, restricted_case
):
    other_officer.groups.add(auditors_group())
    both = signed_in(other_officer)
    ref = restricted_case.reference
    page = both.get(restricted_case.get_absolute_url())
    assert page.status_code == 200
    assert reverse("cases:edit", args=[ref]) not in page.content.decode()
    assert both.get(reverse("cases:edit", args=[ref])).status_code == 404
    assert both.post(reverse("cases:note", args=[ref]), {"text": "x"}).status_code == 404
    assert both.get(reverse("cases:report_pdf", args=[ref, 1])).status_code == 404
