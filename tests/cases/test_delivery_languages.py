"""What the subject receives is in the case's language: the report's email (link or attachment,
with the passphrase instructions), the one-time code's email, and the download pages with their
messages; the officer's pages stay English and warn before sending when the subject would read
English instead (a profile text without a version in the language, or a version made in another
language)."""

from html import unescape
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Delivery, OrganisationProfile
from cases.reports.delivery import delivery_send
from tests.cases.test_delivery_link import ask_code, enter
from tests.delivery_fixtures import (
    confirmation,
    link_in,
    report_page,
    sendable_case,
    text_and_html,
)
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db

# Per language: the email's subject, a sentence of its body, the sent day, the files' label,
# the code email's words, the code page's heading and button, the files page's heading.
EXPECTED = {
    "en": (
        "Your personal data: our answer to your request",
        "For your security the files are not attached to this email.",
        "sent on 14 December 2026",
        "Your access report (PDF)",
        "Your one-time code is:",
        "Your personal data",
        "Email me a code",
        "Your files",
    ),
    "de": (
        "Ihre personenbezogenen Daten: unsere Antwort auf Ihre Anfrage",
        "Zu Ihrer Sicherheit sind die Dateien dieser E-Mail nicht beigefügt.",
        "Mit dieser E-Mail vom 14. Dezember 2026",
        "Ihr Auskunftsbericht (PDF)",
        "Ihr Einmalcode lautet:",
        "Ihre personenbezogenen Daten",
        "Code per E-Mail senden",
        "Ihre Dateien",
    ),
    "fr": (
        "Vos données personnelles : notre réponse à votre demande",
        "Pour votre sécurité, les fichiers ne sont pas joints à cet e-mail.",
        "envoyé le 14 décembre 2026",
        "Votre rapport d'accès (PDF)",
        "Votre code à usage unique est :",
        "Vos données personnelles",
        "M'envoyer un code par e-mail",
        "Vos fichiers",
    ),
    "es": (
        "Sus datos personales: nuestra respuesta a su solicitud",
        "Por su seguridad, los archivos no van adjuntos a este correo.",
        "enviado el 14 de diciembre de 2026",
        "Su informe de acceso (PDF)",
        "Su código de un solo uso es:",
        "Sus datos personales",
        "Enviarme un código por correo",
        "Sus archivos",
    ),
    "hi": (
        "आपका व्यक्तिगत डेटा: आपके अनुरोध",
        "आपकी सुरक्षा के लिए फ़ाइलें इस ईमेल के साथ संलग्न नहीं हैं।",
        "14 दिसंबर 2026 को भेजा गया यह ईमेल",
        "आपकी एक्सेस रिपोर्ट (PDF)",
        "आपका एक-बार का कोड है:",
        "आपका व्यक्तिगत डेटा",
        "मुझे कोड ईमेल करें",
        "आपकी फ़ाइलें",
    ),
}


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_SEND_BACKOFF_SECONDS = 0


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


def in_language(case, language: str):
    case.language = language
    case.save(update_fields=["language"])
    case.reports.update(language=language)


def send(officer_client, case, channel: str, smtp):
    step = confirmation(officer_client, case, 1, channel)
    officer_client.post(step["url"], step["data"])
    delivery = Delivery.objects.get(case=case)
    passphrase = step["data"].get("passphrase") or None
    with time_machine.travel("2026-12-14 09:00 +0000", tick=False):
        assert delivery_send(delivery.pk, passphrase=passphrase).outcome == "sent"
    return delivery, smtp.messages[-1]


@pytest.mark.parametrize("language", list(EXPECTED))
def test_the_link_email_the_code_email_and_the_pages_are_in_the_cases_language(
    officer, officer_client, smtp, language
):
    subject_line, body, sent_on, pdf_label, code_words, heading, button, files = EXPECTED[language]
    case = sendable_case(officer)
    in_language(case, language)

    _delivery, message = send(officer_client, case, "link", smtp)
    plain, html = text_and_html(message)
    html = unescape(html)
    assert subject_line in message["Subject"] and case.reference in message["Subject"]
    assert message["Content-Language"] == language
    for text in (plain, html):
        assert body in text and sent_on in text and pdf_label in text
    assert f'<html lang="{language}">' in html

    path = urlsplit(link_in(plain)).path
    subject = Client()
    page = unescape(subject.get(path).content.decode())
    assert f'<html lang="{language}">' in page
    assert f">{heading}</h1>" in page and button in page
    code = ask_code(subject, path, smtp)
    code_plain, code_html = text_and_html(smtp.messages[-1])
    assert smtp.messages[-1]["Content-Language"] == language
    code_html = unescape(code_html)
    assert code_words in code_plain and code_words in code_html
    files_page = unescape(enter(subject, path, code).content.decode())
    assert f'<html lang="{language}">' in files_page
    assert f">{files}</h1>" in files_page and pdf_label in files_page
    if language != "en":
        assert "Your files" not in files_page and "Email me a code" not in page


def test_the_attachment_email_gives_the_passphrase_instructions_in_the_language(
    officer, officer_client, smtp
):
    case = sendable_case(officer)
    in_language(case, "de")
    _delivery, message = send(officer_client, case, "attachment", smtp)
    plain, _html = text_and_html(message)
    assert "Das PDF ist zu Ihrer Sicherheit mit einer Passphrase geschützt." in plain
    assert "Der Bericht ist dieser E-Mail beigefügt:" in plain
    assert "passphrase" not in plain  # no English left


def test_a_wrong_code_is_told_in_the_language(officer, officer_client, smtp):
    case = sendable_case(officer)
    in_language(case, "es")
    _delivery, message = send(officer_client, case, "link", smtp)
    path = urlsplit(link_in(text_and_html(message)[0])).path
    subject = Client()
    ask_code(subject, path, smtp)
    page = enter(subject, path, "00000000").content.decode()
    assert "Ese código no es correcto. Le quedan 4 intentos." in page


def test_an_unusable_link_answers_in_the_organisations_language(officer, officer_client, smtp):
    profile = OrganisationProfile.load()
    profile.default_language = "fr"
    profile.save()
    page = Client().get(reverse("link:page", args=["x" * 43]))
    assert page.status_code == 404
    assert "Ce lien ne peut pas être utilisé" in page.content.decode()


def test_the_officer_is_warned_before_sending_when_the_subject_would_read_english(
    officer, officer_client
):
    case = sendable_case(officer)
    in_language(case, "de")
    warning = (
        "The organisation&#x27;s Art. 15 text has no German version; the report uses English "
        "for it."
    )
    panel = officer_client.get(report_page(case)).content.decode()
    assert warning in panel
    step = confirmation(officer_client, case, 1, "link")
    assert warning in step["page"]
    assert "Sprache" not in panel  # the officer's pages stay English

    profile = OrganisationProfile.load()
    profile.translations = {"de": {"purposes": "Wir verwenden diese Daten …"}}
    profile.save()
    case.reports.update(profile_snapshot=None)  # as if made with the profile as it is now
    panel = officer_client.get(report_page(case)).content.decode()
    assert warning not in panel
    assert "has no German version of: DPO contact" in panel  # still some texts in English

    profile.translations = {"de": {name: "…" for name in profile.TRANSLATED_FIELDS}}
    profile.save()
    panel = officer_client.get(report_page(case)).content.decode()
    assert "no German version" not in panel


def test_a_version_made_in_another_language_is_flagged(officer, officer_client):
    case = sendable_case(officer)
    in_language(case, "fr")
    case.reports.update(language="en")
    panel = officer_client.get(report_page(case)).content.decode()
    assert "Version 1 is in English, but the subject&#x27;s language is now French" in panel
