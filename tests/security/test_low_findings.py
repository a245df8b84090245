"""The low findings of the second penetration test: the admin's shortcut tells nobody whether a
hidden case exists; a NUL in an admin list filter is a bad request, not a server error; static
files, the 400 for a host we do not serve and every error page carry the security headers; a
HEAD request on a download is not a download."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client
from django.urls import reverse

from cases import views
from cases.models import Case
from tests.factories import UserFactory
from tests.security.test_headers_and_csp import EXPECTED_CSP, csp_of

pytestmark = pytest.mark.django_db


def shortcut_url(case: Case) -> str:
    return f"/admin/r/{ContentType.objects.get_for_model(Case).pk}/{case.pk}/"


@pytest.fixture
def staff_without_permissions(db):
    return UserFactory(username="stan", is_staff=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_shortcut_tells_nothing_to_staff_who_may_not_see(
    staff_without_permissions, restricted_case, case
):
    """It answered 302 for an existing restricted case and 404 for a missing one."""
    client = signed_in(staff_without_permissions)
    missing = f"/admin/r/{ContentType.objects.get_for_model(Case).pk}/999999/"
    answers = {client.get(url).status_code for url in (shortcut_url(restricted_case), missing)}
    assert answers == {404}
    assert client.get(shortcut_url(case)).status_code == 404  # may see no case at all


def test_the_shortcut_leads_those_who_may_see(
    staff_without_permissions, restricted_case, case, admin_user, other_officer
):
    staff_without_permissions.user_permissions.add(
        Permission.objects.get(codename="view_case", content_type__app_label="cases")
    )
    viewer = signed_in(staff_without_permissions)
    assert viewer.get(shortcut_url(case))["Location"].endswith(case.get_absolute_url())
    assert viewer.get(shortcut_url(restricted_case)).status_code == 404
    admin = signed_in(admin_user).get(shortcut_url(restricted_case))
    assert admin.status_code == 302
    assert admin["Location"].endswith(restricted_case.get_absolute_url())
    anonymous = Client().get(shortcut_url(case))["Location"]
    assert anonymous.startswith(("/accounts/login/", "/admin/login/"))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/cases/case/?status__exact=%00",
        "/admin/cases/auditentry/?action__exact=%00",
        "/admin/cases/activityevent/?activity__exact=%00",
        "/admin/cases/case/?q=%00",
        "/admin/cases/case/?%00=1",
        "/cases/?status=%00",
    ],
)
def test_a_nul_in_a_filter_is_a_bad_request(admin_user, case, url):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 400, response.status_code
    assert "Bad request" in response.content.decode()


def assert_security_headers(response, what: str) -> None:
    assert csp_of(response) == EXPECTED_CSP, what
    assert response["X-Frame-Options"] == "DENY", what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "same-origin", what
    assert "camera=()" in response["Permissions-Policy"], what


def test_static_files_and_every_error_page_carry_the_security_headers(
    officer, case, monkeypatch, settings
):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    answers = {
        "static file": client.get("/static/css/portal.css"),
        "missing static file": client.get("/static/css/nothing.css"),
        "host we do not serve": client.get("/accounts/login/", HTTP_HOST="evil.example"),
        "NUL in a query": client.get("/accounts/login/?next=%00"),
        "forged form": Client(enforce_csrf_checks=True).post("/accounts/login/", {}),
        "not found": client.get("/no/such/page/"),
    }
    client.force_login(officer)

    def explode(*args, **kwargs):
        raise RuntimeError("a view failed")

    monkeypatch.setattr(views, "harvest_progress", explode)
    answers["server error in a view"] = client.get(reverse("cases:progress", args=[case.reference]))
    monkeypatch.setattr(SessionMiddleware, "process_request", explode)
    answers["server error in a middleware"] = client.get("/cases/")

    for what, response in answers.items():
        assert_security_headers(response, what)
    statuses = {what: response.status_code for what, response in answers.items()}
    assert statuses == {
        "static file": 200,
        "missing static file": 404,
        "host we do not serve": 400,
        "NUL in a query": 400,
        "forged form": 403,
        "not found": 404,
        "server error in a view": 500,
        "server error in a middleware": 500,
    }


def test_a_head_request_is_not_a_download(officer_client, report):
    case = report.case
    before = case.audit_entries.count()
    for url in (
        reverse("cases:report_pdf", args=[case.reference, 1]),
        reverse("cases:report_export", args=[case.reference, 1, "csv"]),
    ):
        response = officer_client.head(url)
        assert response.status_code == 405 and response["Allow"] == "GET", url
    assert case.audit_entries.count() == before
    assert officer_client.get(
        reverse("cases:report_pdf", args=[case.reference, 1])
    ).status_code == (200)
    assert case.audit_entries.filter(action="report_downloaded").count() == 1
