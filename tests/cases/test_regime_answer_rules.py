"""What each regime's answer must contain, and whom its refusal names (cases/regimes.py)."""

import pytest

from cases.regimes import CCPA, DPDP, GDPR, LGPD, REGIMES, UK_GDPR

EXPECTED = {
    GDPR: ("Why we use your data (purposes)", "supervisory authority", "Art. 12(4) GDPR"),
    UK_GDPR: ("Why we use your data (purposes)", "Information Commissioner", "Art. 12(4) UK GDPR"),
    DPDP: ("Other Data Fiduciaries and Data Processors", "Data Protection Board of India", "DPDP"),
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


# The report read back per regime: tests/cases/test_report_regime_sections.py.
