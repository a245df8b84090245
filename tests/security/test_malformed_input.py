"""Oversized and malformed input: a clear error, nothing saved, never a server error."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseNote

pytestmark = pytest.mark.django_db


def intake(**overrides) -> dict:
    today = timezone.localdate().isoformat()
    data = {
        "subject_name": "Alex Example",
        "subject_email": "alex@example.com",
        "primary_keys": "alex@example.com",
        "channels": ["email"],
        "search_from": today,
        "search_to": today,
        "received_on": today,
    }
    data.update(overrides)
    return data


BAD_INTAKE = {
    "very long name": ({"subject_name": "A" * 100_000}, "subject_name", "at most 200"),
    "NUL in name": ({"subject_name": "Alex\x00Example"}, "subject_name", "Null characters"),
    "NUL in email": ({"subject_email": "alex\x00@example.com"}, "subject_email", "Null"),
    "markup as email": ({"subject_email": "<script>@x.com"}, "subject_email", "valid email"),
    "very long email": ({"subject_email": "a" * 5000 + "@x.com"}, "subject_email", "at most"),
    "huge key list": (
        {"primary_keys": "\n".join(f"k{i}@x.com" for i in range(20_000))},
        "primary_keys",
        "at most 50",
    ),
    "very long key": ({"primary_keys": "k" * 10_000}, "primary_keys", "at most 255"),
    "control character in key": ({"primary_keys": "a\x07b"}, "primary_keys", "control"),
    "NUL in key": ({"primary_keys": "a\x00b"}, "primary_keys", "control"),
    "impossible date": ({"search_from": "2026-02-30"}, "search_from", "valid date"),
    "month 13": ({"received_on": "2026-13-01"}, "received_on", "valid date"),
    "huge year": ({"search_to": "99999-01-01"}, "search_to", "valid date"),
    "SQL as date": ({"search_to": "2026-01-01'; DROP TABLE cases_case;--"}, "search_to", "valid"),
    "unknown channel": ({"channels": ["fax"]}, "channels", "valid choice"),
    "officer not a number": ({"assigned_officer": "1 OR 1=1"}, "assigned_officer", "valid"),
    "officer who does not exist": ({"assigned_officer": "99999999"}, "assigned_officer", "valid"),
    "officer id too large": (
        {"assigned_officer": "9" * 40},
        "assigned_officer",
        "valid",
    ),
}


@pytest.mark.parametrize("name", BAD_INTAKE)
def test_intake_refuses_with_a_clear_error_and_saves_nothing(name, officer_client):
    overrides, field, message = BAD_INTAKE[name]
    response = officer_client.post(reverse("cases:create"), intake(**overrides), follow=True)
    assert response.redirect_chain == [(reverse("cases:create"), 302)], name
    errors = response.context["form"].errors
    assert field in errors, (name, errors)
    assert message.lower() in " ".join(errors[field]).lower(), (name, errors[field])
    assert not Case.objects.exists()


def case_action(client, case, name, data):
    return client.post(reverse(f"cases:{name}", args=[case.reference]), data)


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("note", {"text": "n" * 100_000}, "text"),
        ("note", {"text": ""}, "text"),
        ("note", {"text": "a\x00b"}, "text"),
        ("verify", {"method": "other", "notes": "v" * 100_000}, "notes"),
        ("verify", {"method": "magic", "notes": ""}, "method"),
        ("verify", {"method": "other", "notes": "\x00"}, "notes"),
        ("extend", {"reason": "r" * 100_000, "subject_told_on": "today"}, "reason"),
        ("extend", {"reason": "busy", "subject_told_on": "31/31/2026"}, "subject_told_on"),
        ("extend", {"reason": "busy", "subject_told_on": "0000-00-00"}, "subject_told_on"),
        ("status", {"status": "withdrawn", "reason": "s" * 100_000}, "reason"),
        ("status", {"status": "withdrawn", "withdrawn_via": "fax", "reason": "x"}, "withdrawn_via"),
        ("status", {"status": "rejected", "reason": "\x00"}, "reason"),
    ],
)
def test_case_forms_refuse_with_a_clear_error_and_change_nothing(
    action, data, field, officer_client, case
):
    before = (case.audit_length, CaseNote.objects.count())
    response = case_action(officer_client, case, action, data)
    assert response.status_code == 302
    page = officer_client.get(response["Location"])
    if action == "status":
        [form] = [f for f in page.context["status_forms"] if f.target == data["status"]]
    else:
        form = page.context[f"{action}_form"]
    assert field in form.errors, form.errors
    case.refresh_from_db()
    assert case.audit_length == before[0]
    assert CaseNote.objects.count() == before[1]


def test_an_unknown_status_is_refused_with_a_message(officer_client, case):
    response = case_action(officer_client, case, "status", {"status": "closed' OR '1'='1"})
    assert response.status_code == 302
    page = officer_client.get(response["Location"]).content.decode()
    assert "Choose what to do with the case" in page
    case.refresh_from_db()
    assert case.status == "received" and case.audit_length == 1


def test_a_body_over_the_upload_limit_is_refused_without_a_server_error(officer_client, case):
    response = officer_client.post(
        reverse("cases:note", args=[case.reference]), {"text": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 400
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/cases/?q=%00",
        "/cases/?status=%00&officer=%00&page=%00",
        "/cases/?page=-1",
        "/cases/?page=99999999999999999999999",
        "/cases/?officer=99999999999999999999999",
        "/cases/?due=%3Cscript%3E",
        "/cases/%00/",
        "/cases/DSAR-2026-0001%00/",
        "/cases/" + "A" * 5000 + "/",
        "/cases/DSAR-2026-0001/reports/99999999999999999999999.pdf",
        "/cases/DSAR-2026-0001/reports/99999999999999999999999/events.json",
        "/cases/DSAR-2026-0001/progress/?x=%00",
    ],
)
def test_malformed_urls_and_queries_never_fail(url, officer_client, case, report):
    client = Client(raise_request_exception=False)
    client.force_login(case.assigned_officer)
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)


@pytest.mark.parametrize(
    "query",
    [
        {"channel": "\x00"},
        {"activity": "a\x00b"},
        {"channel": "<script>", "activity": "' OR 1=1 --"},
        {"events_page": "-5"},
        {"events_page": "9" * 30},
        {"events_page": "abc"},
        {"activity": "x" * 10_000},
    ],
)
def test_malformed_event_filters_never_fail(query, officer, case):
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.get(reverse("cases:data", args=[case.reference]), query)
    assert response.status_code in (200, 400), (query, response.status_code)


@pytest.mark.parametrize(
    "data",
    [
        {"username": "u" * 100_000, "password": "x"},
        {"username": "olivia\x00", "password": "x"},
        {"username": "olivia", "password": "p" * 100_000},
        {"username": "olivia", "password": "a\x00b"},
        {"username": ["olivia", "other"], "password": "x"},
    ],
)
def test_sign_in_with_malformed_input_is_a_plain_failure(data, officer):
    client = Client(raise_request_exception=False, HTTP_USER_AGENT="U" * 10_000)
    response = client.post("/accounts/login/", data)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:  # refused: back to the form, which says so
        assert response["Location"] == "/accounts/login/"
        assert "did not match" in client.get(response["Location"]).content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("token", ["abcdef", "1" * 100, "12 34 5\x00", "-12345"])
def test_two_factor_codes_that_are_not_codes_are_refused(token, officer_client, settings):
    settings.REQUIRE_2FA = True
    response = officer_client.post(reverse("two_factor_setup"), {"token": token})
    assert response.status_code == 302
    assert 'role="alert"' in officer_client.get(response["Location"]).content.decode()
    assert officer_client.get("/cases/").status_code == 302
