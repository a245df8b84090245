"""What each regime's answer must contain, and whom its refusal names (cases/regimes.py)."""

import pytest

from cases.regimes import CCPA, DPDP, GDPR, LGPD, REGIMES, UK_GDPR
from cases.reports.document import render_report
from tests.factories import make_collected_case
from tests.report_reading import flat, pdftotext_pages

EXPECTED = {
    GDPR: ("Why we process your data", "supervisory authority", "Art. 12(4) GDPR"),
    UK_GDPR: ("Why we process your data", "Information Commissioner", "Art. 12(4) UK GDPR"),
    DPDP: ("Other data fiduciaries and processors", "Data Protection Board of India", "DPDP"),
    CCPA: ("Specific pieces of personal information", "California Privacy Protection", "7024"),
    LGPD: ("Criteria used", "ANPD", "art. 18 §4 LGPD"),
}


@pytest.mark.parametrize("code", sorted(REGIMES))
def test_every_required_section_has_a_heading_and_the_refusal_names_authority_remedy_basis(code):
    answer = REGIMES[code].answer
    assert answer.required_sections
    for key in answer.required_sections:
        assert str(answer.report_wording[key]).strip()
    assert set(answer.refusal_wording) == {"authority", "remedy", "basis"}
    heading, authority, basis = EXPECTED[code]
    assert any(heading in str(h) for h in answer.report_wording.values())
    assert authority in str(answer.refusal_wording["authority"])
    assert basis in str(answer.refusal_wording["basis"])


def test_no_regime_borrows_another_regimes_headings():
    dpdp = {str(h) for h in REGIMES[DPDP].answer.report_wording.values()}
    ccpa = {str(h) for h in REGIMES[CCPA].answer.report_wording.values()}
    lgpd = {str(h) for h in REGIMES[LGPD].answer.report_wording.values()}
    gdpr = {str(h) for h in REGIMES[GDPR].answer.report_wording.values()}
    assert not (dpdp & ccpa or dpdp & lgpd or ccpa & lgpd or gdpr & dpdp or gdpr & ccpa)


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(REGIMES))
def test_the_report_has_its_regimes_sections_and_no_other_regimes(code, tmp_path, settings):
    settings.REPORT_RENDER_PROCESSES = 1
    case = make_collected_case(events=2, regime=code)
    render_report(case, tmp_path / "r.pdf", version=1)
    text = flat(" ".join(pdftotext_pages(tmp_path / "r.pdf")))
    own = {str(h) for h in REGIMES[code].answer.report_wording.values()}
    if code in (GDPR, UK_GDPR):  # the Art. 15 sections are the report's own first section
        assert "Confirmation and information about the processing" in text
        assert "Why we use your data (purposes)" in text
        assert "requires us to tell you" not in text
    else:
        for heading in own:
            assert heading in text
        assert f"What {REGIMES[code].law} requires us to tell you" in text
    for other in set(REGIMES) - {code}:
        for heading in {str(h) for h in REGIMES[other].answer.report_wording.values()} - own:
            assert heading not in text, (other, heading)
