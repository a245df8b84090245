"""Production settings pass `check --deploy`; every page carries a strict content security
policy, HSTS (over HTTPS), no framing, a referrer policy and safe cookies; and no page of ours
has an inline script, inline style or event-handler attribute."""

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.factories import make_collected_case
from tests.security.conftest import make_ready_report

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "dsar.example.com",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_ENV_FILE": "/nonexistent/env",  # nothing from var/local.env
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dsar_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_a_plain_http_setup_lacks():
    """`make run`'s defaults serve plain http on 127.0.0.1: fine locally, flagged for production."""
    env = {**PRODUCTION_ENV}
    for name in [k for k in env if k.startswith("DJANGO_SECURE_")]:
        del env[name]
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr, warning


@pytest.mark.django_db
def test_local_defaults_serve_plain_http(client):
    assert not django_settings.SECURE_SSL_REDIRECT and not django_settings.SECURE_HSTS_SECONDS
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


EXPECTED_CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}


def csp_of(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.django_db
def test_headers_on_pages_files_and_errors(officer_client, officer, tmp_path, settings):
    case = make_collected_case(actor=officer, events=2)
    for url in (
        "/accounts/login/",
        "/",
        "/cases/",
        case.get_absolute_url(),
        reverse("cases:progress", args=[case.reference]),
        "/cases/DSAR-2026-9999/",
        "/admin/",
    ):
        response = officer_client.get(url)
        assert csp_of(response) == EXPECTED_CSP, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "camera=()" in response["Permissions-Policy"], url
    # Pages with personal data are not kept by browsers or proxies.
    assert "no-store" in officer_client.get(case.get_absolute_url())["Cache-Control"]


@pytest.mark.django_db
def test_hsts_and_secure_cookies_over_https(settings, officer):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/accounts/login/").status_code == 301  # http goes to https
    assert client.get("/healthz").status_code in (200, 503)  # probes speak plain http
    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    signed_in = client.post(
        "/accounts/login/",
        {
            "username": "olivia",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
        secure=True,
    )
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


class InlineCode(HTMLParser):
    """Collects inline scripts, style elements, style attributes and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_no_template_of_ours_has_inline_code():
    checked = 0
    for path in (BASE_DIR / "templates").rglob("*.html"):
        if path.parts[-2] == "report" and path.name.startswith("report_"):
            continue  # rendered to PDF by WeasyPrint, never served to a browser
        assert inline_code(path.read_text()) == [], path
        checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_no_page_has_inline_code(officer_client, officer, private_storage, settings):
    settings.REQUIRE_2FA = False
    case = make_collected_case(actor=officer, events=3, subject_name="Pat Page")
    make_ready_report(case)
    pages = [
        "/",
        "/cases/",
        "/cases/new/",
        case.get_absolute_url(),
        reverse("cases:edit", args=[case.reference]),
        reverse("two_factor_setup"),
        "/cases/DSAR-2026-9999/",
    ]
    for url in pages:
        response = officer_client.get(url)
        assert response.status_code in (200, 404), url
        assert inline_code(response.content.decode()) == [], url
    # Error and sign-in pages, signed out.
    anonymous = Client()
    assert inline_code(anonymous.get("/accounts/login/").content.decode()) == []
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        locked = anonymous.post("/accounts/login/", {"username": "x", "password": "y"})
    assert locked.status_code == 429 and inline_code(locked.content.decode()) == []


# The admin: Django's templates have no inline scripts; its change lists of models without
# actions (our read-only ones) carry one small <style> block setting a column width. We keep the
# same strict policy for the admin: the browser drops that rule, and the page loses nothing else.
ADMIN_KNOWN_INLINE = {"<style> element"}


@pytest.mark.django_db
def test_admin_pages_have_no_inline_script(admin_client, officer):
    case = make_collected_case(actor=officer, events=2)
    urls = [
        "/admin/",
        "/admin/cases/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/cases/activityevent/",
        f"/admin/cases/activityevent/{case.events.first().pk}/change/",
        "/admin/cases/auditentry/",
        "/admin/netcore/netcoreaccount/",
        "/admin/netcore/netcoreaccount/add/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{officer.pk}/change/",
        "/admin/accounts/signinevent/",
        "/admin/cases/organisationprofile/1/change/",
    ]
    for url in urls:
        response = admin_client.get(url, follow=True)
        assert response.status_code == 200, url
        found = set(inline_code(response.content.decode()))
        assert found <= ADMIN_KNOWN_INLINE, (url, found)
