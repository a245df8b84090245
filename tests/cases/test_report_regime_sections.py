"""The report gives the information its case's regime requires, under that law's headings, and
names the right the request was made under, read back from the PDF: Art. 15(1)-(2) under GDPR
and UK GDPR, s. 11(1) under the DPDP Act, the right to know under the CCPA, the art. 19, II
declaration under the LGPD; and no other law's headings."""

import pytest
from django.utils import translation

from cases.regimes import CCPA, DPDP, GDPR, LGPD, REGIMES, UK_GDPR
from cases.reports.document import render_report
from tests.factories import make_collected_case
from tests.report_reading import flat, pdftotext_pages

pytestmark = pytest.mark.django_db

ART15 = [
    "Why we use your data (purposes)",
    "What data (categories)",
    "Who receives it (recipients)",
    "How long we keep it",
    "Your rights to rectification, erasure, restriction and objection",
    "Your right to complain",
    "Where the data comes from",
    "Automated decision-making",
    "Transfers outside the UK and the EEA",
]
HEADINGS = {
    GDPR: ART15,
    UK_GDPR: ART15,
    DPDP: [
        "Summary of your personal data and of how we process it",
        "Other Data Fiduciaries and Data Processors we shared it with, and what we shared",
    ],
    CCPA: [
        "Categories of personal information we collected about you",
        "Categories of sources of the personal information",
        "Business or commercial purpose for collecting it",
        "Categories of third parties to whom we disclosed it",
        "Specific pieces of personal information we collected",
    ],
    LGPD: [
        "Origin of the data",
        "Records we hold, or their absence",
        "Criteria used",
        "Purpose of the processing",
    ],
}
BASIS = {
    GDPR: "Article 15 of the General Data Protection Regulation",
    UK_GDPR: "Article 15 of the UK General Data Protection Regulation",
    DPDP: "section 11 of India's Digital Personal Data Protection Act 2023",
    CCPA: "the right to know under the California Consumer Privacy Act, Cal. Civ. Code §1798.110",
    LGPD: "article 18, II of Brazil's General Personal Data Protection Law (LGPD)",
}


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.REPORT_RENDER_PROCESSES = 1


def report_text(tmp_path, regime: str, events: int = 3, language: str = "en") -> str:
    case = make_collected_case(events=events, regime=regime, language=language)
    render_report(case, tmp_path / f"{regime}.pdf", version=1)
    return flat(" ".join(pdftotext_pages(tmp_path / f"{regime}.pdf")))


@pytest.mark.parametrize("regime", list(HEADINGS))
def test_the_report_has_its_regimes_headings_and_no_other_laws(tmp_path, regime):
    text = report_text(tmp_path, regime)
    missing = [heading for heading in HEADINGS[regime] if heading not in text]
    assert missing == []
    others = {h for other, headings in HEADINGS.items() for h in headings} - set(HEADINGS[regime])
    assert [heading for heading in others if heading in text] == []
    # The cover letter points to section 1's right to complain only where section 1 gives it.
    complaint = "you may complain to a supervisory authority (section 1)" in text
    assert complaint == (regime in (GDPR, UK_GDPR))
    # The cover letter names the right the request was made under.
    assert f"about you ({BASIS[regime]})" in text
    assert [basis for basis in BASIS.values() if basis in text] == [BASIS[regime]]


def test_the_sections_are_filled_from_the_profile_and_the_report(tmp_path):
    text = report_text(tmp_path, DPDP)
    # s. 11(1)(b): who it was shared with, and what: the profile's recipients, Netcore's data.
    assert "Netcore Cloud, our email and SMS service provider" in text
    assert (
        "What we shared with Netcore Cloud, our email and SMS provider, EU data centre: the data "
        "in sections 3 to 5 of this report."
    ) in text
    # The CCPA's specific pieces are the report's events and the attached files.
    pieces = "Sections 3 to 5 of this report, and the JSON and CSV files attached to it."
    assert pieces in report_text(tmp_path, CCPA)


def test_the_lgpd_declaration_states_the_absence_of_records(tmp_path):
    assert "We hold no record of marketing messages sent to you" in report_text(
        tmp_path, LGPD, events=0
    )
    assert "We hold records of the marketing messages we sent you" in report_text(
        tmp_path, LGPD, events=2
    )


@pytest.mark.parametrize("language", ["de", "fr", "es", "hi"])
@pytest.mark.parametrize("regime", [DPDP, CCPA, LGPD])
def test_the_sections_are_in_the_subjects_language(tmp_path, regime, language):
    text = report_text(tmp_path, regime, language=language)
    english = HEADINGS[regime] + [
        BASIS[regime],
        "Sections 3 to 5 of this report",
        "We hold records of the marketing messages",
        "We searched the identifiers",
        "What we shared with",
    ]
    assert [words for words in english if words in text] == []
    if language != "hi":  # Devanagari is read back only approximately (test_report_languages)
        with translation.override(language):
            headings = [str(h) for h in REGIMES[regime].answer.report_wording.values()]
        assert [heading for heading in headings if heading not in text] == []
