"""The report in the subject's language, read back as the subject's tools read it: headings,
cover letter and glossary in that language and no English left in the translated parts, days
and numbers written the language's way, the PDF's /Lang, the profile's Art. 15 texts in that
language (English where it has none), Netcore's data verbatim."""

import re
from datetime import date

import pikepdf
import pytest

from cases.languages import LANGUAGE_NAMES, catalogue_missing
from cases.models import OrganisationProfile
from cases.reports.document import render_report
from tests.factories import make_collected_case
from tests.report_reading import Glyphs, flat, pdftotext_pages

pytestmark = pytest.mark.django_db

EXPECTED = {
    "en": {
        "title": "Your request for a copy of your personal data",
        "glossary": "6. Glossary Activities in your data",
        "open": "The message was opened: an image in the email was loaded.",
        "received": "Request received 2 May 2026",
        "law": "(Article 15 of the General Data Protection Regulation)",
        "footer": "page 1 of",
    },
    "de": {
        "title": "Ihre Anfrage nach einer Kopie Ihrer personenbezogenen Daten",
        "glossary": "6. Glossar Aktivitäten in Ihren Daten",
        "open": "Die Nachricht wurde geöffnet: Ein Bild in der E-Mail wurde geladen.",
        "received": "Anfrage erhalten 2. Mai 2026",
        "law": "(Auskunft nach Art. 15 DSGVO)",
        "footer": "Seite 1 von",
    },
    "fr": {
        "title": "Votre demande de copie de vos données personnelles",
        "glossary": "6. Glossaire Activités figurant dans vos données",
        "open": "Le message a été ouvert : une image de l'e-mail a été chargée.",
        "received": "Demande reçue le 2 mai 2026",
        "law": "(droit d'accès (article 15 du RGPD))",
        "footer": "page 1 sur",
    },
    "es": {
        "title": "Su solicitud de una copia de sus datos personales",
        "glossary": "6. Glosario Actividades en sus datos",
        "open": "Se abrió el mensaje: se cargó una imagen del correo electrónico.",
        "received": "Solicitud recibida 2 de mayo de 2026",
        "law": "(derecho de acceso (artículo 15 del RGPD))",
        "footer": "página 1 de",
    },
    "hi": {
        "title": "आपके व्यक्तिगत डेटा की प्रति के लिए आपका अनुरोध",
        "glossary": "6. शब्दावली",
        "open": "संदेश खोला गया",
        "received": "2 मई 2026",
        "law": "सामान्य डेटा संरक्षण विनियमन (GDPR) के अनुच्छेद 15 के अंतर्गत पहुँच का अधिकार",
        "footer": "· 1 / ",
    },
}
# Devanagari draws some vowel signs before the consonant they follow, so text tools get some
# words back only approximately (see test_report_every_script.py): these are read as glyphs.
DRAWN_ONLY = {"hi": ("title", "law")}
# Our own English wording, none of which may be left in a translated report.
ENGLISH = [
    "Your request for a copy of your personal data",
    "Our reference",
    "Request received",
    "Report prepared",
    "Dear ",
    "In short",
    "What we hold",
    "Where it is held",
    "What you can do next",
    "Yours sincerely",
    "How to read this report",
    "Three layers, one document",
    "1. Confirmation and information about the processing",
    "We confirm that we process",
    "Why we use your data",
    "Your right to complain",
    "Transfers outside the UK",
    "2. What we searched",
    "Identifiers searched",
    "Our other systems",
    "3. Summary of your data",
    "events per month",
    "4. Your messages",
    "5. Every event",
    "6. Glossary",
    "Activities in your data",
    "The message was opened",
    "When the activity happened",
    "The attached files",
    "mobile phone",
    "2 May 2026",
    "Article 15",
]
# The profile's English defaults, replaced by the language's texts given below.
PROFILE_ENGLISH = ["We use this data to send you", "You may ask us to correct", "Data Protection"]


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.REPORT_RENDER_PROCESSES = 1


def translated_profile(language: str) -> None:
    """Every Art. 15 text of the profile in `language`, marked so the test can find them."""
    profile = OrganisationProfile.load()
    profile.translations = {
        language: {name: f"[{language}:{name}]" for name in profile.TRANSLATED_FIELDS}
    }
    profile.full_clean()
    profile.save()


def render(tmp_path, language: str, **case_values):
    case = make_collected_case(events=12, received_on=date(2026, 5, 2), **case_values)
    case.language = language
    case.save(update_fields=["language"])
    path = tmp_path / f"{language}.pdf"
    render_report(case, path, version=1)
    return case, path


@pytest.mark.parametrize("language", list(EXPECTED))
def test_the_report_reads_in_the_subjects_language(tmp_path, language):
    assert not catalogue_missing(language), "compile the catalogues first: make messages"
    if language != "en":
        translated_profile(language)
    case, path = render(tmp_path, language)

    pages = [flat(page) for page in pdftotext_pages(path)]
    text = " ".join(pages)
    expected = EXPECTED[language]
    drawn_only = DRAWN_ONLY.get(language, ())
    for part in ("title", "glossary", "open", "received", "law"):
        if part not in drawn_only:
            assert expected[part] in text, (language, part)
    glyphs = Glyphs(path)
    assert glyphs.notdef() == {}
    for part in drawn_only:
        sample = expected[part]
        assert glyphs.covered(sample) == set(sample) - {" "}, part
        # In the Devanagari family of static/fonts/fonts.css, never a fallback.
        letters = "".join(c for c in sample if "\u0900" <= c <= "\u097f")
        fonts = {name.split("+")[-1] for name in glyphs.fonts_for(letters)}
        assert fonts and all(name.startswith("DSAR-Devanagari") for name in fonts), fonts
    assert expected["footer"] in pages[0]
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == language
    # Netcore's data as Netcore recorded it: the message's name, the activity's own name and
    # Netcore's text of the time, never translated.
    event = case.events.order_by("occurred_at").first()
    assert event.message_name in text
    assert f"{event.activity_date_raw}" in text
    assert re.search(rf"#1 \S.* {event.activity} ·", text)
    if language == "en":
        return
    left = [words for words in ENGLISH + PROFILE_ENGLISH if words in text]
    assert left == [], f"English left in the {LANGUAGE_NAMES[language]} report"
    assert re.search(r"page \d+ of \d+", text) is None
    assert f"[{language}:purposes]" in text


def test_numbers_and_short_days_are_the_languages(tmp_path):
    case = make_collected_case(events=1005, received_on=date(2026, 3, 2))
    case.language = "de"
    case.save(update_fields=["language"])
    render_report(case, tmp_path / "r.pdf", version=1)
    text = flat(" ".join(pdftotext_pages(tmp_path / "r.pdf")))
    assert "Wir haben 1.005 Einträge zu Marketingaktivitäten" in text
    first = case.events.order_by("occurred_at").first().occurred_at
    months = [
        "Jan.",
        "Feb.",
        "März",
        "Apr.",
        "Mai",
        "Juni",
        "Juli",
        "Aug.",
        "Sept.",
        "Okt.",
        "Nov.",
        "Dez.",
    ]
    day = f"{first.day}. {months[first.month - 1]} {first.year}"
    assert f"#1 {day} " in text  # the annex's short day, German style


def test_a_text_without_a_version_in_the_language_is_given_in_english(tmp_path):
    profile = OrganisationProfile.load()
    profile.translations = {"fr": {"purposes": "Nous utilisons ces données pour vous écrire."}}
    profile.save()
    _case, path = render(tmp_path, "fr")
    text = flat(" ".join(pdftotext_pages(path)))
    assert "Nous utilisons ces données pour vous écrire." in text
    assert profile.retention.split(".")[0] in text  # no French version: the English text
    assert "Pourquoi nous utilisons vos données (finalités)" in text  # our wording: French
