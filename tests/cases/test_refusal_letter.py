"""A rejected request gets the answer it is owed (Art. 12(4) and each regime's equivalent): a
letter with the reason and where to turn, sent once through the delivery by download link, or
recorded as given another way."""

from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import services
from cases.jobs.retention import apply_retention
from cases.models import Delivery
from cases.reports.delivery import delivery_send
from cases.reports.refusal import letter_pdf
from tests.cases.test_delivery_link import ask_code, enter, secret_of
from tests.delivery_fixtures import dpo_profile, link_in, text_and_html
from tests.factories import make_case
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db

REASON = "We could not establish that you are the person the data is about (Art. 12(6))."


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)


def reject(client: Client, case) -> str:
    """Reject through the page, confirmation included; return where it lands."""
    url = reverse("cases:status", args=[case.reference])
    client.post(url, {"status": "rejected", "reason": REASON})
    response = client.post(url, {"status": "rejected", "reason": REASON, "confirmed": "on"})
    assert response.status_code == 302
    return response["Location"]


def test_rejecting_leads_to_the_letter_and_its_preview(officer, officer_client):
    dpo_profile()
    case = make_case(actor=officer, subject_name="Ana Souza")
    landing = reject(officer_client, case)
    assert landing == reverse("cases:detail", args=[case.reference]) + "#refusal"
    page = officer_client.get(landing).content.decode()
    assert "Now tell the subject why" in page and "Tell the subject why" in page
    assert f"Send the letter to {case.subject_email}" in page
    assert '<span class="kicker">Next:</span> Tell the subject why' in page

    response = officer_client.get(reverse("cases:refusal_letter", args=[case.reference]))
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "Dear Ana Souza," in text and case.reference in text
    assert "could not establish that you are the person" in text
    assert "complain to a supervisory authority" in text and "(Art. 77 GDPR)" in text
    assert "judicial remedy before the courts (Art. 79 GDPR)" in text
    assert "We tell you this under Art. 12(4) GDPR." in text


@pytest.mark.parametrize(
    ("regime", "expected", "absent"),
    [
        ("gdpr", "Art. 77 GDPR", "Information Commissioner"),
        ("uk-gdpr", "Information Commissioner's Office", "Art. 77 GDPR"),
        ("dpdp", "Data Protection Board of India", "supervisory authority"),
        ("ccpa", "California Privacy Protection Agency", "supervisory authority"),
        ("lgpd", "Autoridade Nacional de Proteção de Dados", "supervisory authority"),
    ],
)
def test_the_letter_names_the_regimes_authority_and_remedy(officer, regime, expected, absent):
    case = make_case(actor=officer, regime=regime)
    services.case_change_status(case=case, actor=officer, status="rejected", reason=REASON)
    text = text_of(letter_pdf(case))
    assert expected in text and absent not in text


def test_the_letter_is_sent_once_by_link_and_the_subject_reads_it(officer, officer_client, smtp):
    dpo_profile()
    case = make_case(actor=officer, subject_name="Ana Souza")
    reject(officer_client, case)
    send = reverse("cases:refusal_send", args=[case.reference])
    response = officer_client.post(send, {"token": "t" * 43})
    delivery = Delivery.objects.get()
    assert response["Location"] == reverse("cases:delivery", args=[case.reference, delivery.pk])
    assert (delivery.document, delivery.channel, delivery.recipient) == (
        "refusal",
        "link",
        case.subject_email,
    )
    assert delivery.letter.sha256 and delivery.letter.size
    # The same form again, and a new one: nothing more is sent.
    officer_client.post(send, {"token": "t" * 43})
    refused = officer_client.post(send, {"token": "u" * 43}, follow=True)
    assert "already been sent" in refused.content.decode()
    assert Delivery.objects.count() == 1

    assert delivery_send(delivery.pk).outcome == "sent"
    [message] = smtp.messages
    text, _html = text_and_html(message)
    assert message["To"] == case.subject_email and "our answer" in message["Subject"]
    assert "We have decided not to act on your request" in text
    path = urlsplit(link_in(text)).path
    subject = Client()
    subject.get(path)
    enter(subject, path, ask_code(subject, path, smtp))
    letter = subject.get(reverse("link:file", args=[secret_of(path), "pdf"]))
    assert letter.status_code == 200
    assert "could not establish that you are the person" in text_of(
        b"".join(letter.streaming_content)
    )

    case.refresh_from_db()
    assert case.status == "rejected"  # a letter does not move the case
    actions = list(case.audit_entries.values_list("action", flat=True))
    assert actions.count("refusal_send_requested") == 1 and actions.count("report_sent") == 1
    page = officer_client.get(reverse("cases:trail", args=[case.reference])).content.decode()
    assert "sent the refusal letter to" in page


def test_a_refusal_given_another_way_is_recorded(officer, officer_client):
    case = make_case(actor=officer)
    reject(officer_client, case)
    url = reverse("cases:refusal_given", args=[case.reference])
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = officer_client.post(url, {"via": "letter", "given_on": tomorrow.isoformat()})
    assert "cannot be in the future" in officer_client.get(refused["Location"]).content.decode()
    today = timezone.localdate().isoformat()
    response = officer_client.post(url, {"via": "phone", "given_on": today, "note": "Call log 7"})
    page = officer_client.get(response["Location"]).content.decode()
    assert "was told of the refusal by phone" in page
    assert '<span class="kicker">Next:</span> Nothing left to do' in page
    entry = case.audit_entries.get(action="refusal_given")
    assert entry.readable_details["note"] == "Call log 7"


def test_only_a_rejected_case_offers_the_letter(officer, officer_client):
    case = make_case(actor=officer)
    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert "Tell the subject why" not in page
    response = officer_client.post(
        reverse("cases:refusal_send", args=[case.reference]), {"token": "v" * 43}, follow=True
    )
    assert "once the request is rejected" in response.content.decode()
    assert not Delivery.objects.exists()


def test_retention_deletes_the_letter_with_the_data(
    officer, officer_client, settings, private_storage, django_capture_on_commit_callbacks
):
    case = make_case(actor=officer)
    reject(officer_client, case)
    officer_client.post(reverse("cases:refusal_send", args=[case.reference]), {"token": "w" * 43})
    letter = case.refusal_letters.get()
    assert letter.file.storage.exists(letter.file.name)
    later = timezone.now() + timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE + 1)
    with django_capture_on_commit_callbacks(execute=True):
        [purged] = apply_retention(now=later).purged
    assert purged.reference == case.reference
    assert not case.refusal_letters.exists() and not case.deliveries.exists()
    assert not letter.file.storage.exists(letter.file.name)
    entry = case.audit_entries.get(action="data_purged")
    assert entry.details["refusal_letters"] == 1


@pytest.mark.parametrize(
    ("language", "heading", "right"),
    [
        ("de", "Ihre Anfrage: unsere Antwort", "Art. 77 DSGVO"),
        ("fr", "Votre demande : notre réponse", "article 77 du RGPD"),
        ("es", "Su solicitud: nuestra respuesta", "artículo 77 del RGPD"),
        ("hi", "आपका अनुरोध: हमारा उत्तर", "GDPR अनुच्छेद 77"),
    ],
)
def test_the_letter_is_in_the_subjects_language(officer, language, heading, right):
    case = make_case(actor=officer, language=language)
    services.case_change_status(case=case, actor=officer, status="rejected", reason=REASON)
    text = text_of(letter_pdf(case))
    assert heading in text and right in text
    for english in (
        "Your request: our answer",
        "What you can do",
        "You have the right",
        "page 1 of",
    ):
        assert english not in text
    assert REASON in text  # the officer's words stay as written
