"""The laws a request can be answered under, each with its deadline rules: the one place they live.

A case is answered under one regime (`Case.regime`, a key of REGIMES). The deadline arithmetic
(cases/deadlines.py), the services that extend a deadline or stop its clock, the intake form, the
`create_case` command and the pages read the rules from here; the report and the refusal letter
read what the answer must contain, and their wording, from `Regime.answer`.

Invariants:
- A period runs from the day the request was received, that day not counted: N days after
  receipt end on receipt + N; N months end on the same day number N months later, or on that
  month's last day when it has none (Regulation 1182/71 Art. 3(2)(c); California Government Code
  §6800; Brazilian Civil Code art. 132; India's General Clauses Act 1897 s. 9).
- A period never moves to the next working day when it ends on a weekend or a public holiday,
  although some of these laws would allow it: the earlier date is always in time, and holidays
  differ by country and region.
- An extension is counted from receipt, not from the first deadline, and there is at most one.
- Days the clock was stopped for a clarification are added at the end, and only where the law
  stops the clock (`clock_stops`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from django.utils.translation import gettext_lazy as _

GDPR = "gdpr"
UK_GDPR = "uk-gdpr"
DPDP = "dpdp"
CCPA = "ccpa"
LGPD = "lgpd"

# The regime of cases logged before regimes existed, and a new organisation's default.
DEFAULT_REGIME = GDPR


@dataclass(frozen=True)
class Period:
    """A length of time from receipt, in calendar months or in calendar days."""

    months: int = 0
    days: int = 0

    @property
    def first(self) -> str:
        """How a message names the first period: "first month", "first 45 days"."""
        if self.months:
            return "first month" if self.months == 1 else f"first {self.months} months"
        return f"first {self.days} days"


@dataclass(frozen=True)
class AnswerRules:
    """What the answer must contain under a regime, and the wording of the report and of the
    refusal letter for it: read by the report and the refusal letter.

    `required_sections` are keys of `report_wording` (section key -> the heading the subject
    reads), in the law's order; cases/reports/content.py says what fills each key. The copy of
    the data itself (the events: sections 3 to 5 of every report, and the attached JSON and CSV)
    is in every answer, so it is not listed unless the law names it as an item of the answer.
    `refusal_wording` holds "authority", "remedy" and "basis": who the subject may complain to,
    which other remedy they have, and the provision that obliges us to say so."""

    # The right the request was made under, as the report's cover letter names it.
    access_basis: str = ""
    required_sections: tuple[str, ...] = ()
    report_wording: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    refusal_wording: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Regime:
    code: str
    label: str  # short, for badges, lists and choices
    law: str  # the law in full, with its implementing rules
    response: Period  # from receipt; under `published_period`, the longest allowed
    response_basis: str  # where the law says so
    # The whole period from receipt once extended (not the addition), or None: no extension.
    extended_response: Period | None
    extension_basis: str
    # The clock stops from the day a clarification is asked for to the day it arrives.
    clock_stops: bool
    clock_basis: str
    # The organisation publishes its own period, at most `response` (OrganisationProfile).
    published_period: bool
    deadline_rule: str  # the rule in plain words, for officers
    answer: AnswerRules = field(default_factory=AnswerRules)

    @property
    def extension(self) -> bool:
        return self.extended_response is not None


def _frozen(**items) -> Mapping[str, str]:
    return MappingProxyType(items)


# GDPR and UK GDPR Art. 15(1)(a)-(h) and 15(2), the same under both, with the headings section 1
# of the report has always had. Art. 15(3), the copy, is sections 3 to 5 of every report.
_ART15 = AnswerRules(
    access_basis=_("Article 15 of the General Data Protection Regulation"),
    required_sections=(
        "purposes",  # Art. 15(1)(a)
        "categories",  # Art. 15(1)(b)
        "recipients",  # Art. 15(1)(c)
        "retention",  # Art. 15(1)(d)
        "rights",  # Art. 15(1)(e)
        "complaint",  # Art. 15(1)(f)
        "source",  # Art. 15(1)(g)
        "automated_decisions",  # Art. 15(1)(h)
        "transfers",  # Art. 15(2): the safeguards of a transfer to a third country
    ),
    report_wording=_frozen(
        purposes=_("Why we use your data (purposes)"),
        categories=_("What data (categories)"),
        recipients=_("Who receives it (recipients)"),
        retention=_("How long we keep it"),
        rights=_("Your rights to rectification, erasure, restriction and objection"),
        complaint=_("Your right to complain"),
        source=_("Where the data comes from"),
        automated_decisions=_("Automated decision-making"),
        transfers=_("Transfers outside the UK and the EEA"),
    ),
)

ANSWER_RULES: Mapping[str, AnswerRules] = MappingProxyType(
    {
        GDPR: replace(
            _ART15,
            # Art. 12(4) GDPR: reasons, complaint to a supervisory authority (Art. 77), judicial
            # remedy (Art. 79).
            refusal_wording=_frozen(
                authority=_(
                    "a supervisory authority, in particular in the EU Member State of your "
                    "habitual residence, place of work or the place of the alleged infringement "
                    "(Art. 77 GDPR)"
                ),
                remedy=_("an effective judicial remedy before the courts (Art. 79 GDPR)"),
                basis=_("Art. 12(4) GDPR"),
            ),
        ),
        UK_GDPR: replace(
            _ART15,
            access_basis=_("Article 15 of the UK General Data Protection Regulation"),
            # Art. 12(4) UK GDPR; complaints to the controller first (s. 164A DPA 2018, inserted
            # by s. 103 Data (Use and Access) Act 2025), then the ICO (Art. 77); courts (Art. 79,
            # s. 167 DPA 2018).
            refusal_wording=_frozen(
                authority=_(
                    "the Information Commissioner's Office (ico.org.uk, 0303 123 1113), after "
                    "complaining to us first (Art. 77 UK GDPR; s. 164A Data Protection Act 2018, "
                    "inserted by the Data (Use and Access) Act 2025)"
                ),
                remedy=_(
                    "a court order requiring us to comply (Art. 79 UK GDPR; s. 167 Data "
                    "Protection Act 2018)"
                ),
                basis=_("Art. 12(4) UK GDPR"),
            ),
        ),
        # DPDP Act 2023 s. 11(1): (a) a summary of the personal data processed and of the
        # processing activities; (b) the identities of all other Data Fiduciaries and Data
        # Processors it was shared with, with a description of the data shared; (c) any other
        # information prescribed. The DPDP Rules 2025 prescribe none under (c) (Rule 14 sets how
        # rights are exercised and the period); a section is added here if they come to.
        DPDP: AnswerRules(
            access_basis=_("section 11 of India's Digital Personal Data Protection Act 2023"),
            required_sections=("summary", "shared_with"),
            report_wording=_frozen(
                summary=_("Summary of your personal data and of how we process it"),
                shared_with=_(
                    "Other Data Fiduciaries and Data Processors we shared it with, and what "
                    "we shared"
                ),
            ),
            # s. 13 DPDP Act 2023 and Rule 14 DPDP Rules 2025: our grievance redressal first;
            # then the Data Protection Board of India (s. 13(3), s. 27); appeal to the Appellate
            # Tribunal (TDSAT, s. 29).
            refusal_wording=_frozen(
                authority=_(
                    "the Data Protection Board of India, once our grievance redressal is "
                    "exhausted (s. 13(3) and s. 27 DPDP Act 2023)"
                ),
                remedy=_(
                    "an appeal against the Board's decision to the Telecom Disputes Settlement "
                    "and Appellate Tribunal (s. 29 DPDP Act 2023)"
                ),
                basis=_("s. 11 and s. 13 DPDP Act 2023; Rule 14 DPDP Rules 2025"),
            ),
        ),
        # Right to know: Cal. Civ. Code §1798.110(a)(1)-(5) and (c), §1798.130(a)(3)(B) and
        # (a)(5), 11 CCR §7024(h) (categories in a way that gives the consumer a meaningful
        # understanding) and §7024(c)-(d) (the specific pieces).
        CCPA: AnswerRules(
            access_basis=_(
                "the right to know under the California Consumer Privacy Act, Cal. Civ. Code "
                "§1798.110"
            ),
            required_sections=(
                "categories",  # §1798.110(a)(1)
                "sources",  # §1798.110(a)(2)
                "purposes",  # §1798.110(a)(3)
                "third_parties",  # §1798.110(a)(4)
                "specific_pieces",  # §1798.110(a)(5)
            ),
            report_wording=_frozen(
                categories=_("Categories of personal information we collected about you"),
                sources=_("Categories of sources of the personal information"),
                purposes=_("Business or commercial purpose for collecting it"),
                third_parties=_("Categories of third parties to whom we disclosed it"),
                specific_pieces=_("Specific pieces of personal information we collected"),
            ),
            # 11 CCR §7024(e)-(f): a denial explains its basis; complaint to the California
            # Privacy Protection Agency (Civ. Code §1798.199.45) or the Attorney General.
            refusal_wording=_frozen(
                authority=_(
                    "the California Privacy Protection Agency (cppa.ca.gov) or the California "
                    "Attorney General (Cal. Civ. Code §1798.199.45, §1798.155)"
                ),
                remedy=_("any remedy available to you under California law"),
                basis=_("Cal. Civ. Code §1798.130; 11 CCR §7024(e)"),
            ),
        ),
        # Access (LGPD art. 18, II) answered by the clear and complete declaration of art. 19,
        # II, within 15 days: the origin of the data, the absence of records (when none), the
        # criteria used and the purpose of the processing.
        LGPD: AnswerRules(
            access_basis=_(
                "article 18, II of Brazil's General Personal Data Protection Law (LGPD)"
            ),
            required_sections=("origin", "records", "criteria", "purpose"),
            report_wording=_frozen(
                origin=_("Origin of the data"),
                records=_("Records we hold, or their absence"),
                criteria=_("Criteria used"),
                purpose=_("Purpose of the processing"),
            ),
            # Art. 18 §4 LGPD: reasons of fact or law; petition to the ANPD (art. 18 §1); the
            # courts (art. 22).
            refusal_wording=_frozen(
                authority=_(
                    "the Autoridade Nacional de Proteção de Dados (ANPD, gov.br/anpd), by "
                    "petition (art. 18 §1 LGPD)"
                ),
                remedy=_("the courts, individually or collectively (art. 22 LGPD)"),
                basis=_("art. 18 §4 LGPD"),
            ),
        ),
    }
)

REGIMES: Mapping[str, Regime] = MappingProxyType(
    {
        GDPR: Regime(
            code=GDPR,
            answer=ANSWER_RULES[GDPR],
            label="EU GDPR",
            law="Regulation (EU) 2016/679, the General Data Protection Regulation",
            response=Period(months=1),
            response_basis="Art. 12(3) GDPR",
            extended_response=Period(months=3),
            extension_basis="Art. 12(3) GDPR",
            clock_stops=False,
            clock_basis="",
            published_period=False,
            deadline_rule=(
                "One calendar month from receipt (Art. 12(3) GDPR). It can be extended once by "
                "two further months, where the complexity or number of requests makes it "
                "necessary, if the subject is told why within the first month."
            ),
        ),
        UK_GDPR: Regime(
            code=UK_GDPR,
            answer=ANSWER_RULES[UK_GDPR],
            label="UK GDPR",
            law=(
                "The UK GDPR and the Data Protection Act 2018, as amended by the Data (Use and "
                "Access) Act 2025"
            ),
            response=Period(months=1),
            response_basis="Art. 12A(1)–(2) UK GDPR",
            extended_response=Period(months=3),
            extension_basis="Art. 12A(3)–(4) UK GDPR",
            clock_stops=True,
            clock_basis=(
                "Art. 12A(5)–(6) UK GDPR, inserted by s. 76 of the Data (Use and Access) Act "
                "2025 (in force 5 February 2026, SI 2026/82)"
            ),
            published_period=False,
            deadline_rule=(
                "One calendar month from receipt (Art. 12A UK GDPR). It can be extended once by "
                "two further months, where the complexity or number of requests makes it "
                "necessary, if the subject is told why within the first month. When we need the "
                "subject to say which information or processing the request is about, the clock "
                "stops from the day we ask to the day the answer arrives, both days included "
                "(Art. 12A(5)); the due date moves by those days."
            ),
        ),
        DPDP: Regime(
            code=DPDP,
            answer=ANSWER_RULES[DPDP],
            label="India DPDP",
            law=(
                "India's Digital Personal Data Protection Act 2023 and the Digital Personal Data "
                "Protection Rules 2025"
            ),
            response=Period(days=90),
            response_basis="s. 11 and s. 13(2) DPDP Act 2023; Rule 14(3) DPDP Rules 2025",
            extended_response=None,
            extension_basis="",
            clock_stops=False,
            clock_basis="",
            published_period=True,
            deadline_rule=(
                "The period we publish for answering Data Principals, at most ninety days from "
                "receipt (Rule 14(3) DPDP Rules 2025; set in the organisation profile). There is "
                "no extension."
            ),
        ),
        CCPA: Regime(
            code=CCPA,
            answer=ANSWER_RULES[CCPA],
            label="California CCPA",
            law=(
                "The California Consumer Privacy Act of 2018, as amended by the California "
                "Privacy Rights Act of 2020, and its regulations (11 CCR §7000 ff.)"
            ),
            response=Period(days=45),
            response_basis="Cal. Civ. Code §1798.130(a)(2)(A); 11 CCR §7021(b)",
            extended_response=Period(days=90),
            extension_basis="Cal. Civ. Code §1798.130(a)(2)(A); 11 CCR §7021(b)",
            clock_stops=False,
            clock_basis="",
            published_period=False,
            deadline_rule=(
                "45 calendar days from receipt, whatever time verifying the consumer takes "
                "(Cal. Civ. Code §1798.130(a)(2)(A); 11 CCR §7021(b)). It can be extended once by "
                "45 more days, to 90 from receipt, when reasonably necessary, if the consumer is "
                "told why within the first 45 days."
            ),
        ),
        LGPD: Regime(
            code=LGPD,
            answer=ANSWER_RULES[LGPD],
            label="Brazil LGPD",
            law="Brazil's Lei Geral de Proteção de Dados Pessoais (Lei nº 13.709/2018)",
            response=Period(days=15),
            response_basis="Art. 19, II LGPD",
            extended_response=None,
            extension_basis="",
            clock_stops=False,
            clock_basis="",
            published_period=False,
            deadline_rule=(
                "15 days from the request for the clear and complete answer (Art. 19, II LGPD). "
                "There is no extension."
            ),
        ),
    }
)

REGIME_CHOICES = [(regime.code, regime.label) for regime in REGIMES.values()]
