"""Report files leave the portal only as they were made: a PDF with bytes appended after it was
made (once served as it was) is neither downloaded nor sent; the refusal is audited and the
admins are told."""

import hashlib

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases import services
from cases.reports import delivery, links
from dsar_portal.celery import app
from tests.delivery_fixtures import dpo_profile
from tests.factories import make_case
from tests.security.conftest import make_ready_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def tampered_report(officer, private_storage):
    case = make_case(actor=officer, assigned_officer=officer, subject_email="ana@example.com")
    services.case_verify_identity(case=case, actor=officer, method="email_control")
    services.case_change_status(case=case, actor=officer, status="collecting")
    services.case_change_status(case=case, actor=officer, status="collected")
    services.case_change_status(case=case, actor=officer, status="report_ready")
    report = make_ready_report(case)
    report.sha256 = hashlib.sha256(report.file.read()).hexdigest()
    report.save()
    with open(report.file.path, "ab") as file:
        file.write(b"\n% appended after it was made")
    return report


@pytest.fixture
def admins_told(django_user_model, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_user_model.objects.create_superuser("ada", "ada@example.com", "x" * 20)
    django_user_model.objects.create_superuser("noemail", "", "x" * 20)
    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the alert task runs here


def test_an_altered_pdf_is_not_downloaded(
    officer_client, tampered_report, admins_told, django_capture_on_commit_callbacks
):
    case = tampered_report.case
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.get(reverse("cases:report_pdf", args=[case.reference, 1]))
    assert response.status_code == 302
    page = officer_client.get(response["Location"]).content.decode()
    assert "is not the file that was made" in page
    refused = case.audit_entries.filter(action="report_file_altered").get()
    assert refused.details["purpose"] == "download" and refused.details["format"] == "pdf"
    assert not case.audit_entries.filter(action="report_downloaded").exists()
    [alert] = mail.outbox
    assert alert.to == ["ada@example.com"]
    assert case.reference in alert.subject and tampered_report.sha256 in alert.body
    assert "ana@example.com" not in alert.body


def test_an_altered_pdf_is_not_sent(
    officer, tampered_report, admins_told, django_capture_on_commit_callbacks
):
    dpo_profile()
    passphrase = delivery.new_passphrase()
    asked, _ = delivery.delivery_request(
        report=tampered_report,
        actor=officer,
        channel="attachment",
        request_token=delivery.new_request_token(),
        passphrase=passphrase,
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.delivery_send(asked.pk, passphrase=passphrase).outcome == "failed"

    asked.refresh_from_db()
    assert asked.cause == "file" and "is not the file that was made" in asked.error
    case = tampered_report.case
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]  # the alert, nothing to Ana
    refused = case.audit_entries.filter(action="report_file_altered").get()
    assert refused.details["purpose"] == "send"
    assert not case.audit_entries.filter(action="report_sent").exists()


def test_an_altered_file_is_not_served_by_the_subjects_link(officer, tampered_report, admins_told):
    dpo_profile()
    asked, _ = delivery.delivery_request(
        report=tampered_report,
        actor=officer,
        channel="link",
        request_token=delivery.new_request_token(),
    )
    assert delivery.delivery_send(asked.pk).outcome == "sent"  # the link, by email
    secret = links.link_secret(asked)
    client = Client()
    session = client.session
    links.grant_access(session, asked)  # as a correct code does
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    response = client.get(reverse("link:file", args=[secret, "pdf"]))

    assert response.status_code == 404
    refused = tampered_report.case.audit_entries.filter(action="report_file_altered").get()
    assert refused.details["purpose"] == "download by the subject"
