"""Sending the report to the subject: after identity verification only, optionally encrypted,
retried when the mail server fails, refused when too large; recorded and audited each time."""

import smtplib
from io import BytesIO

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from pypdf import PdfReader

from cases.models import AuditEntry, Delivery, Report
from cases.reports import generation as reports
from cases.reports.delivery import DeliveryRefused, report_send
from cases.services import case_verify_identity
from tests.factories import make_collected_case

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """Django's in-memory backend behind a mail server that fails the first `failures` times."""

    failures = 0
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_RENDER_PROCESSES = 1
    settings.REPORT_SEND_BACKOFF_SECONDS = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FlakyBackend.calls = FlakyBackend.failures = 0


def ready_report(officer, *, verified=True, events=4) -> Report:
    case = make_collected_case(events=events, actor=officer, subject_email="ana@example.com")
    if verified:
        case_verify_identity(case=case, actor=officer, method="email_control")
    made = reports.report_request(case=case, actor=officer)
    return reports.report_build(made.pk)


def test_refused_until_identity_is_verified(officer, officer_client):
    made = ready_report(officer, verified=False)

    with pytest.raises(DeliveryRefused, match="identity has not been verified"):
        report_send(report=made, actor=officer)
    response = officer_client.post(
        reverse("cases:report_send", args=[made.case.reference, 1]), follow=True
    )
    assert "identity has not been verified" in response.content.decode()
    page = officer_client.get(made.case.get_absolute_url()).content.decode()
    assert "Identity not verified: the report cannot be sent" in page
    assert mail.outbox == [] and not Delivery.objects.exists()


def test_sent_with_the_pdf_attached_recorded_and_audited(officer, officer_client):
    made = ready_report(officer)

    response = officer_client.post(reverse("cases:report_send", args=[made.case.reference, 1]))

    assert response.status_code == 200
    assert "was emailed to ana@example.com" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert made.case.reference in message.subject
    assert "Dear Alex Example," in message.body and "passphrase" not in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{made.case.reference}-access-report-v1.pdf", "application/pdf")
    with made.file.open("rb") as file:
        assert content == file.read()
    delivery = Delivery.objects.get()
    assert (delivery.outcome, delivery.recipient, delivery.encrypted) == (
        "sent",
        "ana@example.com",
        False,
    )
    assert delivery.sent_by == officer and delivery.sent_at and delivery.attempts == 1
    entry = made.case.audit_entries.get(action="report_sent")
    assert entry.details == {
        "version": 1,
        "recipient": "ana@example.com",
        "encrypted": False,
        "attempts": 1,
        "sha256": made.sha256,
    }
    made.case.refresh_from_db()
    assert made.case.status == "sent"


def test_encrypted_pdf_opens_only_with_the_passphrase_shown_once(officer, officer_client):
    made = ready_report(officer)

    response = officer_client.post(
        reverse("cases:report_send", args=[made.case.reference, 1]), {"encrypt": "on"}
    )

    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    passphrase = page.split('<code id="passphrase">')[1].split("</code>")[0]
    assert len(passphrase) == 29 and passphrase.count("-") == 4
    [message] = mail.outbox
    assert "protected with a passphrase" in message.body and passphrase not in message.body
    encrypted = PdfReader(BytesIO(message.attachments[0][1]))
    assert encrypted.is_encrypted
    assert encrypted.decrypt("not-the-passphrase") == 0
    assert encrypted.decrypt(passphrase) != 0
    assert made.case.reference in encrypted.pages[0].extract_text()
    assert encrypted.trailer["/Encrypt"]["/V"] == 5  # AES-256
    # Shown once: stored nowhere, and not on the case page.
    assert Delivery.objects.get().encrypted
    assert not any(passphrase in str(e.details) for e in AuditEntry.objects.all())
    assert passphrase not in officer_client.get(made.case.get_absolute_url()).content.decode()


def test_mail_server_failures_are_retried(officer, settings):
    settings.EMAIL_BACKEND = "tests.cases.test_delivery.FlakyBackend"
    settings.REPORT_SEND_ATTEMPTS = 3
    FlakyBackend.failures = 2
    made = ready_report(officer)

    delivery, _ = report_send(report=made, actor=officer)

    assert delivery.outcome == "sent" and delivery.attempts == 3
    assert len(mail.outbox) == 1


def test_a_send_that_keeps_failing_is_recorded_and_the_case_stays_ready(
    officer, officer_client, settings
):
    settings.EMAIL_BACKEND = "tests.cases.test_delivery.FlakyBackend"
    settings.REPORT_SEND_ATTEMPTS = 2
    FlakyBackend.failures = 10
    made = ready_report(officer)

    response = officer_client.post(reverse("cases:report_send", args=[made.case.reference, 1]))

    assert response.status_code == 502
    assert "could not be sent after 2 attempts" in response.content.decode()
    delivery = Delivery.objects.get()
    assert delivery.outcome == "failed" and "SMTPServerDisconnected" in delivery.error
    entry = made.case.audit_entries.get(action="report_send_failed")
    assert entry.details["attempts"] == 2
    made.case.refresh_from_db()
    assert made.case.status == "report_ready"
    assert mail.outbox == []


def test_a_report_over_the_attachment_limit_is_refused(officer, officer_client, settings):
    made = ready_report(officer)
    settings.REPORT_MAX_ATTACHMENT_BYTES = made.size - 1

    response = officer_client.post(
        reverse("cases:report_send", args=[made.case.reference, 1]), follow=True
    )

    text = response.content.decode()
    assert "more than the" in text and "may be attached to an email" in text
    assert mail.outbox == [] and not Delivery.objects.exists()


def test_only_the_latest_version_is_sent_and_only_by_officers(officer, outsider, client):
    made = ready_report(officer)
    newer = reports.report_build(reports.report_request(case=made.case, actor=officer).pk)

    with pytest.raises(DeliveryRefused, match="Version 2 is newer"):
        report_send(report=made, actor=officer)
    client.force_login(outsider)
    response = client.post(reverse("cases:report_send", args=[made.case.reference, 2]))
    assert response.status_code == 403
    assert mail.outbox == []
    delivery, _ = report_send(report=newer, actor=officer)
    assert delivery.outcome == "sent"
