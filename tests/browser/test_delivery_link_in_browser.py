"""The download link in Chromium, on a phone-sized screen: a report too large to attach goes by
link without the officer choosing it; the subject gets a code by email, five wrong codes lock the
link, a new link opens with the right code and serves the PDF, JSON and CSV; revoked and expired
links answer the same. Every page the subject sees passes axe (vendored axe-core, no CDN)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Delivery
from tests.delivery_fixtures import code_in, link_in, sendable_case, text_and_html
from tests.factories import OfficerFactory
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("celery")]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def subject_page(browser):
    """The subject's phone: no account, no cookies of the officer. axe is injected as a script
    tag, which the portal's policy would refuse: this context bypasses CSP for that alone."""
    context = browser.new_context(locale="en-GB", viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
        })).violations.map(v => v.id + ": " + v.nodes.map(n => n.target).join(" "))"""
    )
    return found


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shoot(page, folder: Path, name: str) -> None:
    """Screenshots at phone and desktop width, to look at (they prove nothing by themselves)."""
    for label, size in (("390", PHONE), ("1440", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def check_page(page, shots: Path, name: str) -> None:
    assert axe_violations(page) == [], name
    assert fits_the_screen(page), name
    shoot(page, shots, name)


def send_by_link(page, live_server, case) -> None:
    """The officer: the PDF is over the limit, so the panel and the confirmation choose the link."""
    page.goto(f"{live_server.url}{reverse('cases:report', args=[case.reference])}")
    panel = page.locator("section", has=page.locator("#report-heading"))
    assert panel.get_by_label("Email attachment (encrypted PDF)").is_disabled()
    assert panel.get_by_label("Secure download link").is_checked()
    panel.get_by_role("button", name="Review and send…").click()
    assert "so it goes by link" in page.locator("dl.confirm").inner_text()
    page.get_by_role("button", name="Send now").click()
    page.get_by_role("heading", name="Sent").wait_for(timeout=30_000)


def test_a_subject_downloads_their_files_by_link(
    live_server,
    sign_in,
    page,
    subject_page,
    celery_workers,
    private_storage,
    smtp,
    settings,
    tmp_path,
):
    shots = tmp_path / "shots"
    shots.mkdir()
    settings.REPORT_MAX_ATTACHMENT_BYTES = 100  # the small PDF is "too large": no choice given
    celery_workers.start(
        concurrency=2,
        env={
            "EMAIL_URL": smtp.url,
            "PRIVATE_STORAGE_ROOT": str(private_storage),
            "PORTAL_BASE_URL": live_server.url,
            "REPORT_MAX_ATTACHMENT_BYTES": "100",
        },
    )
    officer = OfficerFactory(username="olivia")
    case = sendable_case(officer)
    sign_in(officer)
    page.set_viewport_size(DESKTOP)
    send_by_link(page, live_server, case)
    shoot(page, shots, "officer-delivery")
    first = smtp.wait_for(1)[0]
    link = link_in(text_and_html(first)[0])
    subject = subject_page

    # A code by email; five wrong codes lock the link.
    response = subject.goto(link)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "no-store" in response.headers["cache-control"]
    check_page(subject, shots, "link-code")
    subject.get_by_role("button", name="Email me a code").click()
    assert "We are emailing a code" in subject.locator(".messages").inner_text()
    code = code_in(text_and_html(smtp.wait_for(2)[1])[0])
    wrong = str((int(code) + 1) % 10**8).zfill(8)
    for attempt in range(5):
        subject.get_by_label("Code from the email").fill(wrong)
        subject.get_by_role("button", name="Open my files").click()
        if attempt == 0:
            assert "4 attempts left" in subject.locator(".messages").inner_text()
            check_page(subject, shots, "link-wrong-code")
    assert subject.get_by_role("heading", name="This link cannot be used").is_visible()
    check_page(subject, shots, "link-not-found")
    subject.goto(link)
    assert subject.get_by_role("heading", name="This link cannot be used").is_visible()

    # The officer sends a new link (the locked one no longer counts); the right code opens it.
    send_by_link(page, live_server, case)
    link = link_in(text_and_html(smtp.wait_for(3)[2])[0])
    subject.goto(link)
    subject.get_by_role("button", name="Email me a code").click()
    code = code_in(text_and_html(smtp.wait_for(4)[3])[0])
    subject.get_by_label("Code from the email").fill(code)
    subject.get_by_role("button", name="Open my files").click()
    subject.get_by_role("heading", name="Your files").wait_for()
    check_page(subject, shots, "link-files")
    report = case.reports.get()
    for label, stored in (
        ("Your access report (PDF)", report.file),
        ("Your data as JSON (for other programs)", report.json_file),
        ("Your data as CSV (opens in a spreadsheet)", report.csv_file),
    ):
        with subject.expect_download() as download:
            subject.get_by_role("link", name=label).click()
        assert Path(download.value.path()).read_bytes() == stored.open("rb").read()
        assert case.reference in download.value.suggested_filename
        assert not re.search(r"-v\d", download.value.suggested_filename)
    delivery = Delivery.objects.get(link_hash__isnull=False, revoked_at__isnull=True)
    assert list(delivery.accesses.filter(action="downloaded").values_list("detail", flat=True)) == [
        "pdf",
        "json",
        "csv",
    ]

    # The officer sees it all, and revokes the link: the subject gets the same answer as above.
    page.goto(f"{live_server.url}/cases/{case.reference}/deliveries/{delivery.pk}/")
    assert "Downloaded" in page.locator("table.accesses").inner_text()
    shoot(page, shots, "officer-link-used")
    page.get_by_role("button", name="Revoke the link").click()
    assert "The link was revoked" in page.locator(".messages").inner_text()
    subject.reload()
    assert subject.get_by_role("heading", name="This link cannot be used").is_visible()

    # An expired link: the same answer again.
    Delivery.objects.filter(pk=delivery.pk).update(revoked_at=None, expires_at=timezone.now())
    subject.goto(link)
    assert subject.get_by_role("heading", name="This link cannot be used").is_visible()
    assert urlsplit(subject.url).path == urlsplit(link).path
