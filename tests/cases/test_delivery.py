"""Sending to the subject, in one process against a real SMTP server: the confirmation step, the
request (which only records and queues), the claimed send and its recorded outcome, the email as
the subject reads it, refusals, classified failures, the watchdog, the passphrase hand-off.
(The same send on a real Celery worker: test_delivery_on_workers.py.)"""

import logging
import smtplib
from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import AuditEntry, Case, Delivery, Report, ReportStatus
from cases.reports import delivery as sending
from cases.reports.delivery import DeliveryRefused, delivery_request, delivery_send
from tests.delivery_fixtures import (
    CONTROLLER,
    DPO_EMAIL,
    add_ready_version,
    confirmation,
    dpo_profile,
    link_in,
    rendered_case,
    report_page,
    sendable_case,
    text_and_html,
)
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_RENDER_PROCESSES = 1
    settings.REPORT_SEND_BACKOFF_SECONDS = 0
    settings.REPORT_SEND_ATTEMPTS = 3
    settings.REPORT_DELIVERY_DEFAULT = "link"


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


def send_form(client, case, channel="link", version=1):
    """The officer confirms and presses "Send now"; returns the response and the posted form."""
    step = confirmation(client, case, version, channel)
    return client.post(step["url"], step["data"]), step


def test_refused_until_identity_is_verified(officer, officer_client, smtp):
    case = sendable_case(officer, verified=False)

    response = officer_client.get(
        reverse("cases:report_send", args=[case.reference, 1]), follow=True
    )
    assert "identity has not been verified" in response.content.decode()
    page = officer_client.get(reverse("cases:report", args=[case.reference])).content.decode()
    assert "identity has not been verified" in page
    with pytest.raises(DeliveryRefused, match="identity has not been verified"):
        delivery_request(
            report=case.reports.get(), actor=officer, channel="link", request_token="t" * 40
        )
    assert not Delivery.objects.exists() and smtp.messages == []


def test_the_confirmation_step_shows_what_goes_and_sends_nothing(officer, officer_client, smtp):
    case = sendable_case(officer)

    step = confirmation(officer_client, case, channel="attachment")

    page = step["page"]
    for shown in (
        "Ana Lima &lt;ana@example.net&gt;",
        "Version 1",
        "<dt>Events</dt><dd>3</dd>",
        "<dt>Pages</dt><dd>1</dd>",
        "Email attachment",
        "AES-256",
        f"{CONTROLLER} &lt;{DPO_EMAIL}&gt;",
    ):
        assert shown in page, shown
    passphrase = step["data"]["passphrase"]
    assert f'<code id="passphrase">{passphrase}</code>' in page
    assert not Delivery.objects.exists() and smtp.messages == []
    # Shown again, it is another passphrase and another token: neither was kept.
    again = confirmation(officer_client, case, channel="attachment")["data"]
    assert again["passphrase"] != passphrase and again["token"] != step["data"]["token"]
    link_step = confirmation(officer_client, case, channel="link")["page"]
    assert "Secure download link, valid 7 days" in link_step and 'id="passphrase"' not in link_step


def test_the_request_only_queues_and_the_worker_sends_once(
    officer, officer_client, smtp, django_capture_on_commit_callbacks
):
    case = sendable_case(officer)

    with django_capture_on_commit_callbacks() as queued:
        response, _ = send_form(officer_client, case, "link")

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:delivery", args=[case.reference, delivery.pk])
    assert len(queued) == 1  # the task, once the request commits
    assert (delivery.outcome, delivery.claim, smtp.messages) == ("pending", 0, [])
    assert delivery_send(delivery.pk).outcome == "sent"
    assert delivery_send(delivery.pk).outcome == "skipped"  # a duplicate task finds it taken
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.claim, delivery.attempts) == ("sent", 1, 1)
    assert len(smtp.messages) == 1
    case.refresh_from_db()
    assert case.status == "sent"
    actions = list(case.audit_entries.values_list("action", flat=True))
    assert actions.count("send_requested") == 1 and actions.count("report_sent") == 1
    sent = case.audit_entries.get(action="report_sent").readable_details
    assert sent["recipient"] == "ana@example.net" and sent["channel"] == "link"
    page = officer_client.get(response["Location"]).content.decode()
    assert "A download link was emailed to ana@example.net" in page


def test_a_link_email_as_the_subject_reads_it(officer, officer_client, smtp, settings):
    settings.PORTAL_BASE_URL = "https://dsar.acme-marketing.co.uk"
    case = sendable_case(officer)
    send_form(officer_client, case, "link")
    delivery_send(Delivery.objects.get().pk)

    [message] = smtp.messages
    assert message["From"] == f"{CONTROLLER} <{DPO_EMAIL}>"
    assert message["Reply-To"] == DPO_EMAIL
    assert message["To"] == "ana@example.net"
    assert case.reference in message["Subject"]
    plain, html = text_and_html(message)
    for body in (plain, html):
        assert "Dear Ana Lima," in body and case.reference in body
        assert "one-time code" in body and "10 minutes" in body
        assert "v1" not in body and "version" not in body.lower()
        assert "reply to this email" in body.lower()
    link = link_in(plain)
    assert link.startswith("https://dsar.acme-marketing.co.uk/download/")
    assert f'href="{link}"' in html
    assert not list(message.iter_attachments())
    delivery = Delivery.objects.get()
    assert delivery.expires_at - delivery.sent_at == timedelta(days=7)
    assert link.rstrip("/").rsplit("/", 1)[1] not in str(Delivery.objects.values().get())


def test_an_attachment_is_encrypted_and_the_passphrase_is_kept_nowhere(
    officer, officer_client, smtp, caplog
):
    case = rendered_case(officer, subject_email="ana@example.net")
    caplog.set_level(logging.DEBUG)

    response, step = send_form(officer_client, case, "attachment")
    passphrase = step["data"]["passphrase"]
    delivery = Delivery.objects.get()
    assert delivery_send(delivery.pk, passphrase=passphrase).outcome == "sent"

    [message] = smtp.messages
    plain, html = text_and_html(message)
    assert "protected with a passphrase" in plain and "never by email" in plain
    assert passphrase not in plain and passphrase not in html
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == f"{case.reference}-access-report.pdf"
    pdf = PdfReader(BytesIO(attachment.get_content()))
    assert pdf.is_encrypted and pdf.decrypt("not-the-passphrase") == 0
    assert pdf.decrypt(passphrase) != 0 and pdf.trailer["/Encrypt"]["/V"] == 5  # AES-256
    assert case.reference in pdf.pages[0].extract_text()
    # Stored nowhere: no row of any table, no session, no log line.
    with connection.cursor() as cursor:
        for model in (Delivery, AuditEntry, Case, Report, Session):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table}")
            assert passphrase not in str(cursor.fetchall()), table
    assert passphrase not in caplog.text
    delivery.refresh_from_db()
    assert delivery.encrypted and delivery.file  # the encrypted copy, kept for a retry
    assert delivery.sha256 and case.audit_entries.get(action="report_sent").details["sha256"] == (
        delivery.sha256
    )
    page = officer_client.get(response["Location"]).content.decode()
    assert passphrase not in page and "Passphrase not yet given" in page


def test_a_resubmitted_form_sends_nothing_more(officer, officer_client, smtp):
    case = sendable_case(officer)
    first, step = send_form(officer_client, case, "link")

    again = officer_client.post(step["url"], step["data"], follow=True)  # reload or back + resend

    assert again.redirect_chain[0][0] == first["Location"]
    assert "already asked for: nothing more was sent" in again.content.decode()
    assert Delivery.objects.count() == 1
    delivery_send(Delivery.objects.get().pk)
    officer_client.post(step["url"], step["data"])
    assert Delivery.objects.count() == 1 and len(smtp.messages) == 1


def test_a_version_is_sent_once_per_channel_and_one_send_at_a_time(officer, officer_client, smtp):
    case = sendable_case(officer)
    send_form(officer_client, case, "link")

    response, _ = send_form(officer_client, case, "attachment")
    assert (
        "Another send of this case is under way"
        in officer_client.get(response["Location"]).content.decode()
    )
    delivery_send(Delivery.objects.get().pk)
    response = officer_client.post(*_fresh_post(officer_client, case, "link"), follow=True)
    assert "This version was already sent to ana@example.net by secure download link" in (
        response.content.decode()
    )
    assert Delivery.objects.count() == 1 and len(smtp.messages) == 1


def _fresh_post(client, case, channel):
    step = confirmation(client, case, 1, channel)
    return step["url"], step["data"]


def test_only_the_newest_version_goes_and_nothing_while_one_is_generating(
    officer, officer_client, smtp
):
    case = sendable_case(officer)
    older_step = confirmation(officer_client, case, 1, "link")
    add_ready_version(case)  # version 2

    panel = officer_client.get(report_page(case)).content.decode()
    assert "superseded" in panel and "How should version 2 reach" in panel
    response = officer_client.post(older_step["url"], older_step["data"], follow=True)
    assert "Version 2 is newer: send that one." in response.content.decode()
    Report.objects.create(case=case, version=3, status=ReportStatus.GENERATING)
    panel = officer_client.get(report_page(case)).content.decode()
    assert "A newer version is being generated" in panel
    assert 'class="primary" disabled>Send to subject' in panel
    response = officer_client.get(
        reverse("cases:report_send", args=[case.reference, 2]), follow=True
    )
    assert "A newer version is being generated" in response.content.decode()
    assert not Delivery.objects.exists()


def test_a_report_over_the_attachment_limit_goes_by_link(officer, officer_client, smtp, settings):
    case = sendable_case(officer)
    settings.REPORT_MAX_ATTACHMENT_BYTES = case.reports.get().size - 1

    panel = officer_client.get(report_page(case)).content.decode()
    assert 'value="attachment" disabled' in panel and "it goes by link" in panel
    step = confirmation(officer_client, case, channel="attachment")
    assert "so it goes by link" in step["page"] and step["data"]["channel"] == "link"
    officer_client.post(step["url"], step["data"])
    delivery = Delivery.objects.get()
    assert delivery.channel == "link" and not delivery.encrypted
    delivery_send(delivery.pk)
    assert link_in(text_and_html(smtp.messages[0])[0])
    # Asked for as an attachment all the same (a form made before the limit changed): a link.
    add_ready_version(case)
    settings.REPORT_MAX_ATTACHMENT_BYTES = 10
    second, _ = delivery_request(
        report=case.reports.get(version=2),
        actor=officer,
        channel="attachment",
        request_token="t" * 43,
        passphrase="aaaaa-bbbbb-ccccc-ddddd-eeeee",
    )
    assert (second.channel, second.encrypted) == ("link", False)


def test_a_placeholder_sender_is_refused_with_the_reason(officer, officer_client, smtp, settings):
    case = sendable_case(officer)
    profile = dpo_profile()
    profile.dpo_email = "privacy@example.com"
    profile.save()

    panel = officer_client.get(report_page(case)).content.decode()
    assert "privacy@example.com, a placeholder" in panel
    response = officer_client.post(*_fresh_post_raw(case), follow=True)
    assert "a placeholder the subject cannot reply to" in response.content.decode()
    assert not Delivery.objects.exists()
    settings.DEBUG = True  # trying the portal out: allowed
    send_form(officer_client, case, "link")
    assert delivery_send(Delivery.objects.get().pk).outcome == "sent"


def _fresh_post_raw(case):
    url = reverse("cases:report_send", args=[case.reference, 1])
    return url, {"channel": "link", "token": "x" * 43}


@pytest.mark.parametrize(
    ("server", "cause", "tries"),
    [
        ({"refuse_first": 9, "refuse_reply": "554 5.7.1 Message rejected"}, "refused", 1),
        ({"refuse_recipients": ("ana@example.net",)}, "recipient_refused", 1),
        ({"refuse_first": 9}, "unavailable", 3),  # "try again later", every time
    ],
)
def test_failures_are_classified_and_only_transient_ones_retried(
    server, cause, tries, officer, officer_client, settings
):
    case = sendable_case(officer)
    with SmtpServer(**server) as smtp:
        smtp.use_in(settings)
        send_form(officer_client, case, "link")
        delivery = Delivery.objects.get()
        results = [delivery_send(delivery.pk).outcome for _ in range(4)]

    assert results == ["retry"] * (tries - 1) + ["failed"] + ["skipped"] * (4 - tries)
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.cause, delivery.attempts) == ("failed", cause, tries)
    entry = case.audit_entries.get(action="report_send_failed")
    assert entry.details["cause"] == cause and entry.details["attempts"] == tries
    case.refresh_from_db()
    assert case.status == "report_ready"
    page = officer_client.get(reverse("cases:delivery", args=[case.reference, delivery.pk]))
    assert "Nothing reached the subject" in page.content.decode()


def test_an_unreachable_server_is_tried_again_then_recorded(officer, officer_client, settings):
    case = sendable_case(officer)
    with SmtpServer() as smtp:
        port = smtp.port  # closed again below: nothing listens there
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.REPORT_SEND_BACKOFF_SECONDS = 30
    send_form(officer_client, case, "link")
    delivery = Delivery.objects.get()

    first = delivery_send(delivery.pk)
    assert (first.outcome, first.retry_in) == ("retry", 30)
    early = delivery_send(delivery.pk)  # woken before its time: waits the rest
    assert early.outcome == "retry" and 0 < early.retry_in <= 30
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.cause, delivery.attempts) == ("pending", "unavailable", 1)
    page = officer_client.get(reverse("cases:delivery", args=[case.reference, delivery.pk]))
    assert "Attempt 1 of 3" in page.content.decode()


def test_the_watchdog_requeues_a_lost_send_and_never_resends_one_being_handed_over(
    officer, officer_client, smtp, django_capture_on_commit_callbacks
):
    case = sendable_case(officer)
    send_form(officer_client, case, "link")
    delivery = Delivery.objects.get()
    lost = timezone.now() - timedelta(hours=1)
    # A worker claimed it and died before reaching the mail server.
    Delivery.objects.filter(pk=delivery.pk).update(outcome="sending", claim=1, claimed_at=lost)

    with django_capture_on_commit_callbacks() as queued:
        assert sending.delivery_watchdog() == [delivery.pk]
    assert len(queued) == 1
    delivery.refresh_from_db()
    assert delivery.outcome == "pending"

    # Another died while handing it over: it may have gone, so it is not sent again.
    Delivery.objects.filter(pk=delivery.pk).update(
        outcome="sending", claim=2, claimed_at=lost, handing_over_since=lost
    )
    assert sending.delivery_watchdog() == []
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.cause) == ("failed", "uncertain")
    page = officer_client.get(reverse("cases:delivery", args=[case.reference, delivery.pk]))
    assert "it may have been sent" in page.content.decode()
    assert smtp.messages == []
    # If that send did land after all, it is recorded as sent (the claim is still its own).
    sending._record_sent(delivery, 2)
    delivery.refresh_from_db()
    assert delivery.outcome == "sent"


def test_a_lost_encrypted_send_without_its_passphrase_fails_with_the_reason(
    officer, officer_client, smtp
):
    case = sendable_case(officer)
    send_form(officer_client, case, "attachment")
    delivery = Delivery.objects.get()

    assert delivery_send(delivery.pk).outcome == "failed"  # e.g. queued again by the watchdog

    delivery.refresh_from_db()
    assert delivery.cause == "interrupted" and "passphrase is kept nowhere" in delivery.error
    assert smtp.messages == []


def test_the_passphrase_hand_off_is_recorded_and_audited(officer, officer_client, smtp):
    case = sendable_case(officer)
    _, step = send_form(officer_client, case, "attachment")
    delivery = Delivery.objects.get()
    delivery_send(delivery.pk, passphrase=step["data"]["passphrase"])
    url = reverse("cases:delivery_passphrase", args=[case.reference, delivery.pk])
    assert "Passphrase not yet given" in officer_client.get(report_page(case)).content.decode()

    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = officer_client.post(url, {"via": "phone", "given_at": future}, follow=True)
    assert "cannot have been given in the future" in refused.content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = officer_client.post(url, {"via": "phone", "given_at": now}, follow=True)

    assert "Recorded how the passphrase reached the subject" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.passphrase_given_via, delivery.passphrase_given_by) == ("phone", officer)
    entry = case.audit_entries.get(action="passphrase_given")
    assert entry.details["via"] == "phone"
    assert "Passphrase not yet given" not in officer_client.get(report_page(case)).content.decode()


def test_a_status_conflict_after_the_mail_left_keeps_it_recorded(officer, officer_client, smtp):
    """The case moved on between the claim and the record (a re-collection started): the
    delivery and its audit entry stay, and the status is left as it is."""
    case = sendable_case(officer)
    send_form(officer_client, case, "link")
    delivery = sending.claim_delivery(Delivery.objects.get().pk)
    Case.objects.filter(pk=case.pk).update(status="collecting")

    sending._record_sent(delivery, delivery.claim)

    delivery.refresh_from_db()
    case.refresh_from_db()
    assert delivery.outcome == "sent" and case.status == "collecting"
    assert case.audit_entries.filter(action="report_sent").count() == 1


def test_mail_server_classification_of_every_kind():
    from cases.reports.mail import classify

    assert classify(smtplib.SMTPServerDisconnected("gone")).transient
    assert classify(ConnectionRefusedError()).cause == "unavailable"
    assert classify(smtplib.SMTPAuthenticationError(535, b"no")).cause == "mail_settings"
    assert classify(smtplib.SMTPDataError(452, b"full")).transient
    refused = classify(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"unknown")}))
    assert (refused.cause, refused.transient) == ("recipient_refused", False)
