import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_case


@pytest.fixture
def case(officer):
    return make_case(actor=officer)


def pages(case):
    """(method, URL, form data that an officer's POST succeeds with, the audit entry it adds)."""
    ref = case.reference
    today = timezone.localdate().isoformat()
    return [
        ("get", reverse("cases:list"), None, None),
        ("get", reverse("cases:create"), None, None),
        ("get", reverse("cases:detail", args=[ref]), None, None),
        ("get", reverse("cases:data", args=[ref]), None, None),
        ("get", reverse("cases:report", args=[ref]), None, None),
        ("get", reverse("cases:trail", args=[ref]), None, None),
        ("get", reverse("cases:notes", args=[ref]), None, None),
        ("get", reverse("cases:edit", args=[ref]), None, None),
        (
            "post",
            reverse("cases:verify", args=[ref]),
            {"method": "email_control", "notes": "Replied from the address on file"},
            "identity_verified",
        ),
        (
            "post",
            reverse("cases:extend", args=[ref]),
            {"reason": "Several accounts to search", "subject_told_on": today},
            "extended",
        ),
        ("post", reverse("cases:note", args=[ref]), {"text": "Called the subject"}, "note_added"),
        (
            "post",
            reverse("cases:status", args=[ref]),
            {
                "status": "withdrawn",
                "withdrawn_via": "email",
                "reason": "The subject withdrew the request",
                "confirmed": "on",
            },
            "status_changed",
        ),
    ]


def test_anonymous_is_sent_to_sign_in(client, case):
    entries = case.audit_entries.count()
    for method, url, data, _action in pages(case):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    assert case.audit_entries.count() == entries


def test_signed_in_without_officer_rights_gets_403(client, outsider, case):
    client.force_login(outsider)
    entries = case.audit_entries.count()
    for method, url, data, _action in pages(case):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, url
        assert "not a privacy officer" in response.content.decode()
    assert case.audit_entries.count() == entries


def test_officer_reaches_every_page_and_action(officer_client, case):
    for method, url, data, action in pages(case):
        response = getattr(officer_client, method)(url, data)
        if method == "get":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, url
            # Back on the case page, at the card acted on.
            assert response["Location"].startswith(case.get_absolute_url()), url
            assert case.audit_entries.order_by("sequence").last().action == action, url


def test_sign_in_page_is_public_and_sign_out_works(client, officer):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    assert response.status_code == 302  # back to the form, which says why
    assert "did not match" in client.get(response["Location"]).content.decode()
    response = client.post(
        reverse("login"), {"username": "olivia", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("cases:list")).status_code == 302


def test_admin_is_for_staff(client, officer):
    client.force_login(officer)
    assert client.get("/admin/").status_code == 302  # officers are not staff
