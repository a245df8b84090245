"""An officer generates the access report on a real worker, downloads it, and sends it."""

from io import BytesIO
from pathlib import Path

import pytest
from django.core import mail
from pypdf import PdfReader

from cases.services import case_verify_identity
from tests.factories import OfficerFactory, make_collected_case

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("celery")]


def test_officer_generates_downloads_and_sends_the_report(
    live_server, sign_in, celery_workers, private_storage, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    case = make_collected_case(events=25, actor=officer, subject_name="Ελένη Παπαδοπούλου")
    celery_workers.start(
        concurrency=1,
        env={"PRIVATE_STORAGE_ROOT": str(private_storage), "REPORT_RENDER_PROCESSES": "2"},
    )
    page = sign_in(officer)
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    panel = page.locator("section", has=page.locator("#report-heading"))
    assert "No report yet." in panel.inner_text()
    # Not verified yet: nothing to send, and the panel says why once a report exists.
    panel.get_by_role("button", name="Generate report").click()
    assert "Report version 1 is being generated" in page.locator(".messages").inner_text()

    for _ in range(120):  # the worker renders it; the officer refreshes the page
        if panel.get_by_role("link", name="PDF").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    else:
        raise AssertionError("the report was not generated in 60 s")
    report = case.reports.get()
    assert report.sha256[:16] in panel.inner_text()
    assert "Identity not verified" in panel.inner_text()
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
    panel.get_by_label("Encrypt the PDF with a passphrase (AES-256)").check()
    panel.get_by_role("button", name=f"Send v1 to {case.subject_email}").click()
    page.get_by_role("heading", name="Sent").wait_for()
    passphrase = page.locator("#passphrase").inner_text()

    [message] = mail.outbox
    attached = PdfReader(BytesIO(message.attachments[0][1]))
    assert attached.is_encrypted and attached.decrypt(passphrase)
    assert case.reference in attached.pages[0].extract_text()
    page.get_by_role("link", name="Back to the case").click()
    assert "Sent" in page.locator("h1").inner_text()
    assert f"Sent to {case.subject_email} (encrypted)" in panel.inner_text()
    assert passphrase not in page.content()
