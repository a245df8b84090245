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
from dataclasses import dataclass, field
from types import MappingProxyType

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
    refusal letter for it: read by the report and the refusal letter. Empty until those are
    written per regime; until then every regime's answer is the Art. 15 report."""

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


REGIMES: Mapping[str, Regime] = MappingProxyType(
    {
        GDPR: Regime(
            code=GDPR,
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
