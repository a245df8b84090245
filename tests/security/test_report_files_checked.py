"""Report files leave the portal only as they were made: a PDF with bytes appended after it was
made (once served as it was) is neither downloaded nor sent; the refusal is audited and the
admins are told."""

import hashlib

import pytest
from django.core import mail
from django.urls import reverse

from cases import services
from dsar_portal.celery import app
from tests.factories import make_case
from tests.security.conftest import make_ready_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def tampered_report(officer, private_dir):
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
    officer_client, tampered_report, admins_told, django_capture_on_commit_callbacks
):
    case = tampered_report.case
    url = reverse("cases:report_send", args=[case.reference, 1])
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(url, {})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]  # the alert, nothing to Ana
    assert case.audit_entries.filter(action="report_file_altered").get().details["purpose"] == (
        "send"
    )
    assert not case.audit_entries.filter(action="report_sent").exists()
