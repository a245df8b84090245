"""The subject's download pages in Hindi, in Chromium on a phone and a desktop: the document's
language is Hindi, the words are drawn in Devanagari, the pages pass axe and fit the screen; the
officer's report panel, in English, warns that the organisation's Art. 15 text has no Hindi
version before anything is sent."""

import pytest
from django.urls import reverse

from cases.models import Delivery
from cases.reports import links
from cases.reports.delivery import delivery_request, delivery_send, new_request_token
from tests.browser.test_delivery_link_in_browser import DESKTOP, check_page, shoot
from tests.delivery_fixtures import code_in, link_in, sendable_case, text_and_html
from tests.factories import OfficerFactory
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.browser]


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def subject_page(browser):
    context = browser.new_context(
        locale="hi-IN", viewport={"width": 390, "height": 844}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_hindi_subject_reads_the_download_pages_in_hindi(
    live_server, sign_in, page, subject_page, private_storage, smtp, settings, tmp_path
):
    shots = tmp_path
    settings.PORTAL_BASE_URL = live_server.url
    officer = OfficerFactory(username="olivia")
    case = sendable_case(officer)
    case.language = "hi"
    case.save(update_fields=["language"])
    case.reports.update(language="hi")

    sign_in(officer)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}{reverse('cases:report', args=[case.reference])}")
    panel = page.locator("section", has=page.locator("#report-heading")).inner_text()
    assert "The organisation's Art. 15 text has no Hindi version" in panel
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, shots, "officer-panel-hindi-case")

    asked, _ = delivery_request(
        report=case.reports.get(), actor=officer, channel="link", request_token=new_request_token()
    )
    assert delivery_send(asked.pk).outcome == "sent"
    link = link_in(text_and_html(smtp.messages[-1])[0])

    subject = subject_page
    subject.goto(link)
    assert subject.locator("html").get_attribute("lang") == "hi"
    subject.get_by_role("heading", name="आपका व्यक्तिगत डेटा").wait_for()
    check_page(subject, shots, "link-code-hi")
    subject.get_by_role("button", name="मुझे कोड ईमेल करें").click()
    assert "हम उस पते पर एक कोड ईमेल कर रहे हैं" in subject.locator(".messages").inner_text()
    delivery = Delivery.objects.get(pk=asked.pk)
    latest = delivery.accesses.filter(action="code_requested").last()
    assert links.link_code_send(delivery.pk, latest.pk) == "sent"
    code = code_in(text_and_html(smtp.messages[-1])[0])
    subject.get_by_label("ईमेल में मिला कोड").fill(code)
    subject.get_by_role("button", name="मेरी फ़ाइलें खोलें").click()
    subject.get_by_role("heading", name="आपकी फ़ाइलें").wait_for()
    check_page(subject, shots, "link-files-hi")
    fonts = subject.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Devanagari" in fonts
    print(f"screenshots in {shots}")
