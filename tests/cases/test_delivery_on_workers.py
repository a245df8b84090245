"""Sending on real Celery worker processes to a real SMTP server: whatever the browser, the
officers, the mail server or the worker do, the subject gets one email."""

import threading
from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from pypdf import PdfReader

from cases.models import Delivery
from cases.reports import delivery as sending
from cases.services import case_change_status
from tests.cases.test_harvest_on_workers import wait_for
from tests.delivery_fixtures import confirmation, sendable_case, text_and_html
from tests.factories import OfficerFactory
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.xdist_group("celery")]


def start_worker(celery_workers, smtp: SmtpServer, private_storage, **env):
    return celery_workers.start(
        concurrency=2,
        env={
            "EMAIL_URL": smtp.url,
            "PRIVATE_STORAGE_ROOT": str(private_storage),
            "REPORT_SEND_BACKOFF_SECONDS": "0.2",
            **env,
        },
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at_once(*calls):
    """Run the calls in threads released together (two clicks, two officers)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def outcome(delivery_id) -> str:
    return Delivery.objects.get(pk=delivery_id).outcome


def test_reload_double_click_and_back_button_send_one_email(
    celery_workers, officer, private_storage
):
    with SmtpServer() as smtp:
        start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        browser = signed_in(officer)
        step = confirmation(browser, case, 1, "link")

        clicks = at_once(*[lambda: browser.post(step["url"], step["data"])] * 2)  # double-click
        reload = browser.post(step["url"], step["data"])  # reload of the page after sending
        [delivery] = Delivery.objects.all()
        wait_for(lambda: outcome(delivery.pk) == "sent", timeout=30)
        back = browser.post(step["url"], step["data"])  # back button, then "Send now" again

        assert {r.status_code for r in [*clicks, reload, back]} == {302}
        assert {r["Location"] for r in [*clicks, reload, back]} == {
            f"/cases/{case.reference}/deliveries/{delivery.pk}/"
        }
        assert len(smtp.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert (Delivery.objects.count(), delivery.claim, delivery.attempts) == (1, 1, 1)
    assert case.audit_entries.filter(action="report_sent").count() == 1


def test_two_officers_sending_at_once_send_one_email(celery_workers, officer, private_storage):
    other = OfficerFactory(username="oscar")
    with SmtpServer() as smtp:
        start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        first, second = signed_in(officer), signed_in(other)
        steps = [confirmation(first, case, 1, "link"), confirmation(second, case, 1, "attachment")]

        answers = at_once(
            lambda: first.post(steps[0]["url"], steps[0]["data"], follow=True),
            lambda: second.post(steps[1]["url"], steps[1]["data"], follow=True),
        )
        [delivery] = Delivery.objects.all()
        wait_for(lambda: outcome(delivery.pk) == "sent", timeout=30)
        assert len(smtp.wait_for(1)) == 1
    pages = [a.content.decode() for a in answers]
    assert sum("Another send of this case is under way" in p for p in pages) == 1
    assert sum("the outcome shows here" in p for p in pages) == 1


def test_a_mail_server_refusing_twice_gets_one_email_after_three_attempts(
    celery_workers, officer, private_storage
):
    with SmtpServer(refuse_first=2) as smtp:
        start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        browser = signed_in(officer)
        step = confirmation(browser, case, 1, "link")
        browser.post(step["url"], step["data"])
        [delivery] = Delivery.objects.all()
        wait_for(lambda: outcome(delivery.pk) != "pending" or delivery.attempts > 3, timeout=30)
        wait_for(lambda: outcome(delivery.pk) in ("sent", "failed"), timeout=30)
        assert len(smtp.wait_for(1)) == 1 and smtp.attempts == 3
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.attempts, delivery.claim) == ("sent", 3, 3)
    assert case.audit_entries.get(action="report_sent").details["attempts"] == 3
    case.refresh_from_db()
    assert case.status == "sent"


def test_a_worker_killed_while_connecting_is_replaced_and_sends_once(
    celery_workers, officer, private_storage
):
    with SmtpServer(ehlo_delay=5) as smtp:
        first = start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        browser = signed_in(officer)
        step = confirmation(browser, case, 1, "attachment")
        browser.post(step["url"], step["data"])
        [delivery] = Delivery.objects.all()
        # Claimed, the encrypted PDF made and kept, the worker waiting for the mail server.
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).sha256 != "", timeout=30)
        celery_workers.kill(first)
        smtp.ehlo_delay = 0
        start_worker(celery_workers, smtp, private_storage)
        assert sending.delivery_watchdog(older_than=timedelta(0)) == [delivery.pk]
        wait_for(lambda: outcome(delivery.pk) == "sent", timeout=30)
        [message] = smtp.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.claim == 2 and len(smtp.messages) == 1
    [attachment] = message.iter_attachments()
    pdf = PdfReader(BytesIO(attachment.get_content()))
    assert pdf.is_encrypted and pdf.decrypt(step["data"]["passphrase"]) != 0


def test_a_worker_killed_while_handing_over_is_never_sent_twice(
    celery_workers, officer, private_storage
):
    with SmtpServer(data_delay=5) as smtp:
        first = start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        browser = signed_in(officer)
        step = confirmation(browser, case, 1, "link")
        browser.post(step["url"], step["data"])
        [delivery] = Delivery.objects.all()
        smtp.wait_for(1)  # the server has it; the worker is waiting for its answer
        celery_workers.kill(first)
        start_worker(celery_workers, smtp, private_storage)
        assert sending.delivery_watchdog(older_than=timedelta(0)) == []
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.cause) == ("failed", "uncertain")
    assert len(smtp.messages) == 1
    page = signed_in(officer).get(f"/cases/{case.reference}/deliveries/{delivery.pk}/")
    assert "it may have been sent" in page.content.decode()


def test_a_status_change_during_the_send_leaves_the_delivery_recorded(
    celery_workers, officer, private_storage
):
    with SmtpServer(data_delay=2) as smtp:
        start_worker(celery_workers, smtp, private_storage)
        case = sendable_case(officer)
        browser = signed_in(officer)
        step = confirmation(browser, case, 1, "link")
        browser.post(step["url"], step["data"])
        [delivery] = Delivery.objects.all()
        smtp.wait_for(1)  # handed over; the server takes its time to answer
        case.refresh_from_db()
        case_change_status(case=case, actor=officer, status="collecting")  # a re-collection
        wait_for(lambda: outcome(delivery.pk) == "sent", timeout=30)
    case.refresh_from_db()
    assert case.status == "collecting"
    entry = case.audit_entries.get(action="report_sent")
    assert entry.details["delivery"] == delivery.pk
    plain, _ = text_and_html(smtp.messages[0])
    assert "Dear Ana Lima," in plain
