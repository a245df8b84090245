"""An officer generates the access report on a real worker, downloads it, and sends it."""

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from cases.services import case_verify_identity
from tests.delivery_fixtures import dpo_profile
from tests.factories import OfficerFactory, make_collected_case
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("celery")]


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_officer_generates_downloads_and_sends_the_report(
    live_server, sign_in, celery_workers, private_storage, smtp
):
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    case = make_collected_case(events=25, actor=officer, subject_name="Ελένη Παπαδοπούλου")
    dpo_profile()
    celery_workers.start(
        concurrency=1,
        env={
            "PRIVATE_STORAGE_ROOT": str(private_storage),
            "REPORT_RENDER_PROCESSES": "2",
            "EMAIL_URL": smtp.url,
        },
    )
    page = sign_in(officer)
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.get_by_role("link", name="Report and delivery").click()
    panel = page.locator("section", has=page.locator("#report-heading"))
    assert "No report yet." in panel.inner_text()
    # Not verified yet: nothing to send, and the panel says why once a report exists.
    panel.get_by_role("button", name="Generate report").click()
    assert "Report version 1 is being generated" in page.locator(".messages").inner_text()

    # The worker renders it; the panel shows it by itself, without a reload.
    page.evaluate("window.sameDocument = true")
    panel.get_by_role("link", name="PDF").wait_for(timeout=60_000)
    assert page.evaluate("window.sameDocument === true")
    assert page.evaluate("document.activeElement.id") == "report-heading"
    report = case.reports.get()
    assert report.sha256[:16] in panel.inner_text()
    assert "identity has not been verified" in panel.inner_text()
    assert panel.get_by_role("button", name="Send to subject").is_disabled()

    with page.expect_download() as download:
        panel.get_by_role("link", name="PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{case.reference}-access-report-v1.pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Dear Ελένη Παπαδοπούλου," in text
    assert case.audit_entries.filter(action="report_downloaded").count() == 1

    case.refresh_from_db()  # the worker moved it on (services save whole rows)
    case_verify_identity(case=case, actor=officer, method="email_control")
    page.reload()
    panel.get_by_label("Email attachment (encrypted PDF)").check()
    panel.get_by_role("button", name="Review and send…").click()
    page.get_by_role("heading", name="Check before it goes").wait_for()
    assert case.subject_email in page.locator("dl.confirm").inner_text()
    passphrase = page.locator("#passphrase").inner_text()
    page.get_by_label("I have written the passphrase down").check()
    page.get_by_role("button", name="Send now").click()
    # The delivery's page updates itself until the worker has sent it.
    page.get_by_role("heading", name="Sent").wait_for(timeout=30_000)
    assert passphrase not in page.content()
    assert "Passphrase not yet given" in page.content()

    [message] = smtp.wait_for(1)
    [attachment] = message.iter_attachments()
    attached = PdfReader(BytesIO(attachment.get_content()))
    assert attached.is_encrypted and attached.decrypt(passphrase)
    assert case.reference in attached.pages[0].extract_text()
    page.get_by_label("How was it given?").select_option("phone")
    page.get_by_role("button", name="Record the hand-off").click()
    assert "Given by phone" in page.content()
    page.get_by_role("link", name="Back to the case").click()
    assert "Sent" in page.locator("h1").inner_text()
    assert f"attached, encrypted to {case.subject_email}" in " ".join(panel.inner_text().split())
    assert passphrase not in page.content()
