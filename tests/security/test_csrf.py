"""Every state-changing request needs the CSRF token: without it (or with a forged one) it is
refused with our 403 page and nothing changes."""

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case, CaseNote
from tests.security.test_every_url_checks_roles import EXPECTED, argument_values
from tests.security.urlconf_walk import all_routes, url_for

pytestmark = pytest.mark.django_db


# Data that would succeed with a token, so a refusal can only be the CSRF check.
def forms() -> dict[str, dict]:
    return {
        "cases:verify": {"method": "email_control", "notes": "checked"},
        "cases:extend": {"reason": "complex", "subject_told_on": timezone.localdate().isoformat()},
        "cases:note": {"text": "a note"},
        "cases:status": {"status": "withdrawn", "reason": "asked"},
    }


def post_routes():
    return [route for route in all_routes() if EXPECTED.get(route.key, ("get",))[0] == "post"]


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.audit_length, case.verified_at, CaseNote.objects.count())


@pytest.mark.parametrize("token", [None, "forged" * 8])
def test_every_post_view_refuses_a_request_without_the_token(token, officer, case, report):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    routes = post_routes()
    assert {"cases:verify", "cases:report_send", "cases:report_generate", "logout"} <= {
        route.key for route in routes
    }
    before = snapshot(case)
    for route in routes:
        data = dict(forms().get(route.key, {}))
        if token:
            data["csrfmiddlewaretoken"] = token
        response = client.post(url_for(route, argument_values(case, report)), data)
        assert response.status_code == 403, route.key
        assert "This form could not be sent" in response.content.decode()  # our page
    assert snapshot(case) == before
    assert client.get("/cases/").status_code == 200  # still signed in: sign-out was refused too


def test_the_same_posts_succeed_with_the_token(officer_client, case):
    for key, data in forms().items():
        response = officer_client.post(url_for(_route(key), {"reference": case.reference}), data)
        assert response.status_code == 302, (key, response.status_code)


def _route(key):
    return next(route for route in all_routes() if route.key == key)


def test_sign_in_and_the_admin_need_the_token_too(officer, admin_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": "olivia", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session

    admin = Client(enforce_csrf_checks=True)
    admin.force_login(admin_user)
    response = admin.post(
        "/admin/netcore/netcoreaccount/add/",
        {"name": "X", "region": "eu", "api_key": "k" * 20, "timezone": "UTC"},
    )
    assert response.status_code == 403
    from netcore.models import NetcoreAccount

    assert not NetcoreAccount.objects.exists()
