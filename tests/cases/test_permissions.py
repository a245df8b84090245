import pytest
from django.urls import reverse

from tests.factories import make_case


@pytest.fixture
def case(officer):
    return make_case(actor=officer)


def pages(case):
    ref = case.reference
    return [
        ("get", reverse("cases:list")),
        ("get", reverse("cases:create")),
        ("get", reverse("cases:detail", args=[ref])),
        ("get", reverse("cases:data", args=[ref])),
        ("get", reverse("cases:report", args=[ref])),
        ("get", reverse("cases:trail", args=[ref])),
        ("get", reverse("cases:notes", args=[ref])),
        ("get", reverse("cases:edit", args=[ref])),
        ("post", reverse("cases:verify", args=[ref])),
        ("post", reverse("cases:extend", args=[ref])),
        ("post", reverse("cases:status", args=[ref])),
        ("post", reverse("cases:note", args=[ref])),
    ]


def test_anonymous_is_sent_to_sign_in(client, case):
    for method, url in pages(case):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_signed_in_without_officer_rights_gets_403(client, outsider, case):
    client.force_login(outsider)
    for method, url in pages(case):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert "not a privacy officer" in response.content.decode()


def test_officer_reaches_every_page(officer_client, case):
    for method, url in pages(case):
        if method == "get":
            assert officer_client.get(url).status_code == 200, url


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
