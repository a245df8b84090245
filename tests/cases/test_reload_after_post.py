"""Every POST view of the portal answers with a redirect, with valid data and with errors, so a
reload (which asks again for the page the redirect led to) repeats nothing: each scenario posts,
reloads twice and counts what the action made. Errors are shown once, beside the form."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseNote, Delivery, LinkAccess, OtherSystem, Report
from cases.reports import links
from tests.delivery_fixtures import sendable_case
from tests.factories import make_account, make_case, make_collected_case
from tests.security.test_every_url_checks_roles import EXPECTED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def entries(case, action: str) -> int:
    return case.audit_entries.filter(action=action).count()


@dataclass
class Scenario:
    """A case in the right state, the URL, the data that succeeds, the count it raises by one,
    and data that is refused (with a text of its error)."""

    make: Callable
    url: Callable
    data: dict | Callable  # or made from the case
    count: Callable
    bad: dict | None = None
    error: str = ""


TODAY = timezone.localdate()
INTAKE = {
    "subject_name": "Ana Souza",
    "subject_email": "ana@example.com",
    "primary_keys": "ana@example.com",
    "channels": ["email"],
    "search_from": (TODAY - timedelta(days=30)).isoformat(),
    "search_to": TODAY.isoformat(),
    "received_on": TODAY.isoformat(),
}


def case_url(name):
    return lambda case: reverse(name, args=[case.reference])


def sent_delivery(officer, *, channel: str) -> Case:
    """A case whose report version 1 was sent: by link, or attached and encrypted."""
    case = sendable_case(officer)
    delivery = Delivery(
        case=case,
        report=case.reports.get(),
        channel=channel,
        recipient=case.subject_email,
        encrypted=channel == "attachment",
        outcome="sent",
        request_token="r" * 43,
        created_at=timezone.now() - timedelta(hours=1),  # before the hand-off below
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    if channel == "link":
        delivery.link_hash = links.link_hash(links.link_secret(delivery))
    delivery.save()
    return case


def stopped_clock_case(officer) -> Case:
    """A UK GDPR case whose clock stopped today for a clarification."""
    case = make_case(actor=officer, regime="uk-gdpr")
    Case.objects.filter(pk=case.pk).update(clock_paused_on=TODAY)
    return Case.objects.get(pk=case.pk)


def rejected_case(officer) -> Case:
    case = make_case(actor=officer)
    services.case_change_status(case=case, actor=officer, status="rejected", reason="Unfounded")
    return Case.objects.get(pk=case.pk)


def delivery_url(name):
    return lambda case: reverse(name, args=[case.reference, case.deliveries.get().pk])


def link_url(name):
    return lambda case: reverse(name, args=[links.link_secret(case.deliveries.get())])


def link_accesses(action):
    return lambda case: LinkAccess.objects.filter(delivery__case=case, action=action).count()


SCENARIOS = {
    "cases:create": Scenario(
        lambda officer: None,
        lambda case: reverse("cases:create"),
        INTAKE,
        lambda case: Case.objects.count(),
        {**INTAKE, "subject_email": "not-an-email"},
        "Enter a valid email address",
    ),
    "cases:edit": Scenario(
        lambda officer: make_case(actor=officer),
        case_url("cases:edit"),
        {**INTAKE, "subject_name": "Ana Maria Souza"},
        lambda case: entries(case, "updated"),
        {**INTAKE, "search_to": "31 Feb 2026"},
        "Enter a valid date",
    ),
    "cases:verify": Scenario(
        lambda officer: make_case(actor=officer),
        case_url("cases:verify"),
        {"method": "email_control", "notes": "Replied from the address on file"},
        lambda case: entries(case, "identity_verified"),
        {"method": "other", "notes": ""},
        "Describe the check",
    ),
    "cases:extend": Scenario(
        lambda officer: make_case(actor=officer, received_on=TODAY - timedelta(days=3)),
        case_url("cases:extend"),
        {"reason": "Many systems to search", "subject_told_on": TODAY.isoformat()},
        lambda case: entries(case, "extended"),
        {"reason": "", "subject_told_on": "03/04/2026"},
        "Enter a valid date",
    ),
    "cases:status": Scenario(
        lambda officer: make_case(actor=officer),
        case_url("cases:status"),
        {"status": "rejected", "reason": "Manifestly unfounded", "confirmed": "on"},
        lambda case: entries(case, "status_changed"),
        {"status": "rejected", "reason": ""},
        "This field is required",
    ),
    "cases:note": Scenario(
        lambda officer: make_case(actor=officer),
        case_url("cases:note"),
        {"text": "Called the subject"},
        lambda case: CaseNote.objects.filter(case=case).count(),
        {"text": ""},
        "This field is required",
    ),
    "cases:collect": Scenario(
        lambda officer: (make_account(), make_case(actor=officer))[1],
        case_url("cases:collect"),
        {},
        lambda case: entries(case, "collection_started"),
    ),
    "cases:retry_failed": Scenario(
        lambda officer: make_collected_case(actor=officer, events=2, failed_windows=1),
        case_url("cases:retry_failed"),
        {},
        lambda case: entries(case, "collection_retried"),
    ),
    "cases:report_generate": Scenario(
        lambda officer: make_collected_case(actor=officer, events=2),
        case_url("cases:report_generate"),
        {},
        lambda case: Report.objects.filter(case=case).count(),
    ),
    "cases:clock_pause": Scenario(
        lambda officer: make_case(actor=officer, regime="uk-gdpr"),
        case_url("cases:clock_pause"),
        {"asked_on": TODAY.isoformat(), "question": "Which newsletters do you mean?"},
        lambda case: entries(case, "clock_paused"),
        {"asked_on": "31/31/2026", "question": "Which?"},
        "Enter a valid date",
    ),
    "cases:clock_resume": Scenario(
        stopped_clock_case,
        case_url("cases:clock_resume"),
        {"answered_on": TODAY.isoformat()},
        lambda case: entries(case, "clock_resumed"),
        {"answered_on": (TODAY + timedelta(days=1)).isoformat()},
        "cannot be in the future",
    ),
    "cases:other_systems": Scenario(
        lambda officer: (
            OtherSystem.objects.create(name="Shop database"),
            make_collected_case(actor=officer, events=1),
        )[1],
        case_url("cases:other_systems"),
        lambda case: {f"outcome_{OtherSystem.objects.get().pk}": "no_data"},
        lambda case: entries(case, "other_systems_recorded"),
    ),
    "cases:report_send": Scenario(
        sendable_case,
        lambda case: reverse("cases:report_send", args=[case.reference, 1]),
        {"channel": "link", "token": "t" * 43},
        lambda case: Delivery.objects.filter(case=case).count(),
    ),
    "cases:delivery_revoke": Scenario(
        lambda officer: sent_delivery(officer, channel="link"),
        delivery_url("cases:delivery_revoke"),
        {},
        lambda case: entries(case, "link_revoked"),
    ),
    "cases:delivery_passphrase": Scenario(
        lambda officer: sent_delivery(officer, channel="attachment"),
        delivery_url("cases:delivery_passphrase"),
        {
            "via": "phone",
            "given_at": (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        },
        lambda case: entries(case, "passphrase_given"),
    ),
    "cases:case_file_prepare": Scenario(
        lambda officer: make_case(actor=officer),
        case_url("cases:case_file_prepare"),
        {"notes": "1"},
        lambda case: case.prepared_case_files.count(),
    ),
    "cases:refusal_send": Scenario(
        rejected_case,
        case_url("cases:refusal_send"),
        {"token": "r" * 43},
        lambda case: case.deliveries.count(),
    ),
    "cases:refusal_given": Scenario(
        rejected_case,
        case_url("cases:refusal_given"),
        {"via": "letter", "given_on": TODAY.isoformat()},
        lambda case: entries(case, "refusal_given"),
        {"via": "letter", "given_on": (TODAY + timedelta(days=1)).isoformat()},
        "cannot be in the future",
    ),
    "link:code": Scenario(
        lambda officer: sent_delivery(officer, channel="link"),
        link_url("link:code"),
        {},
        link_accesses("code_requested"),
    ),
    "link:enter": Scenario(
        lambda officer: sent_delivery(officer, channel="link"),
        link_url("link:enter"),
        {"code": "12345678"},
        link_accesses("code_wrong"),
    ),
}
# The admin's own views are Django's.
NOT_HERE = {"admin:logout"}


def test_every_post_view_has_a_scenario():
    posted = {key for key, expected in EXPECTED.items() if expected[0] == "post"}
    assert posted - NOT_HERE - {"logout"} <= set(SCENARIOS), posted - set(SCENARIOS)


@pytest.mark.parametrize("key", SCENARIOS)
def test_post_redirects_and_a_reload_repeats_nothing(key, officer_client, officer):
    scenario = SCENARIOS[key]
    case = scenario.make(officer)
    url = scenario.url(case)
    before = scenario.count(case)
    data = scenario.data(case) if callable(scenario.data) else scenario.data
    response = officer_client.post(url, data)
    assert response.status_code == 302, key
    landing = response["Location"]
    for _reload in range(2):
        assert officer_client.get(landing).status_code == 200, landing
    assert scenario.count(case) == before + 1, key


@pytest.mark.parametrize("key", [k for k, s in SCENARIOS.items() if s.bad])
def test_refused_post_redirects_and_shows_its_errors_once(key, officer_client, officer):
    scenario = SCENARIOS[key]
    case = scenario.make(officer)
    before = scenario.count(case)
    response = officer_client.post(scenario.url(case), scenario.bad)
    assert response.status_code == 302, key
    first = officer_client.get(response["Location"]).content.decode()
    again = officer_client.get(response["Location"]).content.decode()
    assert scenario.error in first, key
    assert scenario.error not in again, key
    assert scenario.count(case) == before


def test_a_status_change_waits_for_its_confirmation(officer_client, officer):
    case = make_case(actor=officer)
    url = reverse("cases:status", args=[case.reference])
    response = officer_client.post(url, {"status": "rejected", "reason": "Unfounded"})
    assert response["Location"] == f"{case.get_absolute_url()}#status"
    page = officer_client.get(response["Location"]).content.decode()
    assert "Yes, reject the request" in page and "Unfounded" in page
    case.refresh_from_db()
    assert case.status == "received" and entries(case, "status_changed") == 0
    # A reload of the confirmation shows the plain page again: nothing was decided.
    again = officer_client.get(case.get_absolute_url()).content.decode()
    assert "Yes, reject the request" not in again


def test_signing_out_redirects(officer_client):
    response = officer_client.post(reverse("logout"))
    assert response.status_code == 302
    assert officer_client.get(response["Location"]).status_code == 200
    assert officer_client.get(reverse("cases:list")).status_code == 302  # signed out


def test_a_refused_sign_in_or_code_is_not_sent_again_by_a_reload(client, officer, settings):
    from accounts.models import SignInEvent

    response = client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    assert response.status_code == 302
    for _reload in range(2):
        assert client.get(response["Location"]).status_code == 200
    assert SignInEvent.objects.filter(kind="failed").count() == 1

    settings.REQUIRE_2FA = True
    client.force_login(officer)
    response = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert response.status_code == 302
    first = client.get(response["Location"]).content.decode()
    again = client.get(response["Location"]).content.decode()
    assert "did not work" in first and "did not work" not in again
