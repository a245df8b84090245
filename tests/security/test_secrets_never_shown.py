"""An API key or a subject's identifiers never appear where they should not: in pages that do not
need them, in the admin, in error pages (DEBUG off) or in the log."""

import io
import logging

import pytest
from django.test import Client
from django.urls import reverse

from cases import views
from cases.models import HarvestWindow
from tests.factories import make_account, make_case

pytestmark = pytest.mark.django_db

API_KEY = "nc-live-7f3a9c2e5b1d4f60a8e2c4b6d8f0a1b3"
EMAIL = "secret.subject@example.org"
PHONE = "+447700900461"


@pytest.fixture
def portal_log():
    """What the portal's log handler writes during the test (its formatter and filters)."""
    console = next(h for h in logging.getLogger().handlers if h.filters and h.formatter)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def account():
    from netcore.services import account_create

    return account_create(name="Netcore EU", region="eu", api_key=API_KEY)


@pytest.fixture
def subject_case(officer, account):
    case = make_case(
        actor=officer,
        subject_name="Sam Subject",
        subject_email=EMAIL,
        primary_keys=[EMAIL, PHONE],
        assigned_officer=officer,
    )
    HarvestWindow.objects.create(
        case=case,
        account=account,
        primary_key=EMAIL,
        channel="email",
        start=case.search_from,
        end=case.search_to,
        status="failed",
        last_error="HTTP 401 from Netcore: invalid API key",
    )
    return case


def test_the_api_key_is_on_no_page_and_not_in_the_admin(officer_client, admin_client, subject_case):
    account = make_account()
    pages = [
        officer_client.get(url)
        for url in (
            "/",
            "/cases/",
            subject_case.get_absolute_url(),
            reverse("cases:progress", args=[subject_case.reference]),
        )
    ]
    pages += [
        admin_client.get(url)
        for url in (
            "/admin/netcore/netcoreaccount/",
            f"/admin/netcore/netcoreaccount/{account.pk}/change/",
            "/admin/cases/harvestwindow/",
            f"/admin/cases/harvestwindow/{subject_case.windows.get().pk}/change/",
        )
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert API_KEY not in body and API_KEY[:12] not in body


def test_the_progress_answer_names_no_subject_identifier(officer_client, subject_case):
    body = officer_client.get(reverse("cases:progress", args=[subject_case.reference]))
    text = body.content.decode()
    assert EMAIL not in text and PHONE not in text and "Sam Subject" not in text


@pytest.mark.parametrize(
    "url",
    [
        f"/cases/{EMAIL}/",
        f"/cases/{PHONE}/reports/1.pdf",
        f"/no-such-page/{EMAIL}?q={PHONE}",
    ],
)
def test_not_found_pages_echo_nothing(officer_client, subject_case, url, portal_log):
    response = officer_client.get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert EMAIL not in body and PHONE.lstrip("+") not in body
    assert "There is nothing at this address" in body
    logged = portal_log.getvalue()
    assert EMAIL not in logged and PHONE not in logged


def test_forbidden_pages_echo_nothing(client, outsider, subject_case):
    client.force_login(outsider)
    response = client.get(subject_case.get_absolute_url() + f"?q={EMAIL}")
    assert response.status_code == 403
    assert EMAIL not in response.content.decode()
    assert subject_case.reference not in response.content.decode()


def test_a_server_error_shows_and_logs_neither_key_nor_subject(
    officer, subject_case, monkeypatch, portal_log, settings
):
    settings.DEBUG = False

    def explode(case, **options):
        raise RuntimeError(f"lookup failed for {EMAIL} / {PHONE} with apikey={API_KEY}")

    monkeypatch.setattr(views, "harvest_progress", explode)
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.get(reverse("cases:progress", args=[subject_case.reference]))

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for secret in (EMAIL, PHONE, API_KEY, "RuntimeError", "Traceback"):
        assert secret not in body, secret
    logged = portal_log.getvalue()
    assert "Internal Server Error" in logged and "RuntimeError" in logged  # the error is kept
    for secret in (EMAIL, PHONE, API_KEY):
        assert secret not in logged, secret


def test_searching_for_a_subject_leaves_no_trace_in_the_log(
    officer_client, subject_case, portal_log
):
    response = officer_client.get("/cases/", {"q": EMAIL})
    assert subject_case.reference in response.content.decode()
    officer_client.get("/cases/", {"q": PHONE})
    logged = portal_log.getvalue()
    assert "GET /cases/" in logged  # the request is logged, without its query
    assert EMAIL not in logged and PHONE not in logged


def test_failed_sign_ins_log_no_password(officer, portal_log):
    Client().post("/accounts/login/", {"username": "olivia", "password": "Tr0ub4dor&3-secret"})
    assert "Tr0ub4dor" not in portal_log.getvalue()
