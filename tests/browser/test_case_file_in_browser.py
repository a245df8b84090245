"""An officer asks for a case's case file, notes included, on the case page; a real worker
prepares the PDF; the officer downloads it (read back with pypdf). An auditor takes the JSON. On a
phone the section fits the screen."""

from io import BytesIO
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases import services
from tests.browser.test_delivery_link_in_browser import shoot
from tests.factories import OfficerFactory, UserFactory, make_case
from tests.security.conftest import auditors_group

pytestmark = pytest.mark.browser


@pytest.mark.xdist_group("celery")
def test_officer_prepares_and_downloads_the_case_file_with_notes(
    live_server, sign_in, celery_workers, private_storage, tmp_path
):
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    case = make_case(actor=officer, subject_name="Ελένη Παπαδοπούλου")
    services.case_add_note(case=case, actor=officer, text="Ελένη called to ask about progress")
    celery_workers.start(concurrency=1, env={"PRIVATE_STORAGE_ROOT": str(private_storage)})
    page = sign_in(officer)
    page.goto(f"{live_server.url}{reverse('cases:trail', args=[case.reference])}")
    section = page.locator("section", has=page.locator("#case-file-heading"))
    section.get_by_label("Include the internal notes").check()
    section.get_by_role("button", name="Prepare case file (PDF)").click()
    assert "being prepared" in page.locator(".messages").inner_text()

    for _ in range(120):  # the worker renders it; the officer refreshes the page
        if section.get_by_role("link", name="Case file PDF").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    else:
        raise AssertionError("the case file was not prepared in 60 s")
    assert "with notes" in section.inner_text()
    with page.expect_download() as caught:
        section.get_by_role("link", name="Case file PDF").click()
    download = caught.value
    assert download.suggested_filename == f"{case.reference}-case-file.pdf"
    reader = PdfReader(BytesIO(Path(download.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert f"Case file {case.reference}" in text and "Ελένη Παπαδοπούλου" in text
    assert "Ελένη called to ask about progress" in text and "The trail verifies." in text
    actions = list(case.audit_entries.values_list("action", "actor_label"))
    assert ("case_file_produced", "olivia") in actions
    assert actions[-1] == ("case_file_downloaded", "olivia")

    shoot(page, tmp_path, "case-page")
    # On a phone the section fits the screen (the page's trail table has its own layout).
    box = section.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def test_an_auditor_takes_the_json(live_server, sign_in):
    officer = OfficerFactory(username="olivia")
    auditor = UserFactory(username="audrey")
    auditor.groups.add(auditors_group())
    case = make_case(actor=officer, restricted=True, assigned_officer=officer)
    page = sign_in(auditor)
    page.goto(f"{live_server.url}{reverse('cases:trail', args=[case.reference])}")
    section = page.locator("section", has=page.locator("#case-file-heading"))
    with page.expect_download() as caught:
        section.get_by_role("link", name="without notes").click()
    assert caught.value.suggested_filename == f"{case.reference}-case-file.json"
    assert case.audit_entries.filter(action="case_file_produced", actor_label="audrey").exists()
