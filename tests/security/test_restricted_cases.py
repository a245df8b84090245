"""A restricted case exists only for its assigned officer, auditors (read-only) and admins: for
anyone else each of its URLs answers exactly as for a reference that does not exist, and it is in
no list or count."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case, Delivery, PreparedCaseFile
from tests.factories import make_case
from tests.security.conftest import make_ready_report
from tests.security.test_every_url_checks_roles import EXPECTED
from tests.security.urlconf_walk import all_routes, url_for

pytestmark = pytest.mark.django_db


def case_routes():
    return [route for route in all_routes() if "reference" in route.names]


def answers(client: Client, reference: str) -> dict[str, tuple[int, str]]:
    delivery = Delivery.objects.filter(case__restricted=True).values_list("pk", flat=True).first()
    prepared = PreparedCaseFile.objects.filter(case__restricted=True, status="ready")
    values = {
        "reference": reference,
        "version": 1,
        "kind": "csv",
        "delivery_id": delivery or 1,
        "prepared_id": prepared.values_list("pk", flat=True).first() or 1,
    }
    result = {}
    for route in case_routes():
        response = getattr(client, EXPECTED[route.key][0])(url_for(route, values))
        result[route.key] = (response.status_code, response.get("Location", ""))
    return result


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_case_url_is_walked():
    keys = {route.key for route in case_routes()}
    assert {"cases:detail", "cases:progress", "cases:report_pdf", "cases:report_export"} <= keys
    assert len(keys) >= 13


def test_other_officers_get_404_on_every_url_of_the_case(restricted_case, other_officer):
    before = restricted_case.audit_length
    got = answers(signed_in(other_officer), restricted_case.reference)
    assert {key: status for key, (status, _) in got.items()} == {key: 404 for key in got}
    restricted_case.refresh_from_db()
    assert restricted_case.audit_length == before  # nothing was done or seen


@pytest.mark.parametrize("who", ["other officer", "no role"])
def test_a_restricted_case_answers_like_one_that_does_not_exist(
    who, restricted_case, other_officer, outsider
):
    user = {"other officer": other_officer, "no role": outsider}[who]
    client = signed_in(user)
    assert answers(client, restricted_case.reference) == answers(client, "DSAR-2026-9999")


def test_its_officer_and_admins_reach_it(restricted_case, officer, admin_user):
    for user in (officer, admin_user):
        client = signed_in(user)
        got = answers(client, restricted_case.reference)
        for key, (status, location) in got.items():
            assert status in (200, 302, 400), (user, key, status)
            assert not location.startswith("/accounts/login/"), (user, key)
        pdf = client.get(reverse("cases:report_pdf", args=[restricted_case.reference, 1]))
        assert pdf.status_code == 200


def test_left_out_of_lists_counts_search_and_the_dashboard(restricted_case, officer, other_officer):
    visible = make_case(actor=officer, subject_name="Victor Visible")
    client = signed_in(other_officer)

    listing = client.get(reverse("cases:list"))
    page = listing.content.decode()
    assert visible.reference in page
    assert restricted_case.reference not in page and "Rita" not in page
    assert listing.context["total"] == 1
    assert sum(n for _, n in listing.context["status_counts"]) == 1
    for query in ("rita", restricted_case.reference, "rita@example.com"):
        found = client.get(reverse("cases:list"), {"q": query})
        assert found.context["page"].paginator.count == 0
        assert "Rita Restricted" not in found.content.decode()

    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["figures"].open_total == 1

    # Its officer sees both.
    mine = signed_in(officer).get(reverse("cases:list"))
    assert restricted_case.reference in mine.content.decode()
    assert "Restricted" in mine.content.decode()  # marked as such in the list
    assert mine.context["total"] == 2


def test_a_report_version_of_another_case_is_not_reachable(
    officer_client, officer, private_storage
):
    first = make_case(actor=officer)
    second = make_case(actor=officer)
    make_ready_report(first, version=1)
    make_ready_report(first, version=2)
    make_ready_report(second, version=1)
    for url in (
        reverse("cases:report_pdf", args=[second.reference, 2]),
        reverse("cases:report_export", args=[second.reference, 2, "json"]),
        reverse("cases:report_export", args=[first.reference, 1, "html"]),
        f"/cases/{first.reference}/reports/1/events.%2e%2e%2fsettings.py",
    ):
        assert officer_client.get(url).status_code == 404, url
    assert (
        officer_client.get(reverse("cases:report_pdf", args=[first.reference, 2])).status_code
        == 200
    )


def test_unassigning_a_restricted_case_leaves_it_to_admins(restricted_case, officer, admin_user):
    Case.objects.filter(pk=restricted_case.pk).update(assigned_officer=None)
    url = restricted_case.get_absolute_url()
    assert signed_in(officer).get(url).status_code == 404
    assert signed_in(admin_user).get(url).status_code == 200


def test_an_officer_can_restrict_a_case_from_its_form(officer_client, officer, other_officer):
    case = make_case(actor=officer, assigned_officer=officer)
    form = officer_client.get(reverse("cases:edit", args=[case.reference]))
    assert 'name="restricted"' in form.content.decode()
    data = {
        "subject_name": case.subject_name,
        "subject_email": case.subject_email,
        "primary_keys": "\n".join(case.primary_keys),
        "channels": case.channels,
        "search_from": case.search_from.isoformat(),
        "search_to": case.search_to.isoformat(),
        "received_on": case.received_on.isoformat(),
        "assigned_officer": officer.pk,
        "restricted": "on",
    }
    response = officer_client.post(reverse("cases:edit", args=[case.reference]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.restricted
    assert case.audit_entries.filter(action="updated").last().details["changes"]["restricted"] == {
        "old": False,
        "new": True,
    }
    assert signed_in(other_officer).get(case.get_absolute_url()).status_code == 404
