"""Where a case stands, as its page leads the officer: the step bar (received → identity verified →
collected → report ready → sent → closed) and the one next action.

The steps are facts about the case, not only its status: identity may be verified before or after
collection, so each step is done or not on its own; the current step is the first one not done.
A rejected or withdrawn case stops where it was.
"""

from dataclasses import dataclass

from django.urls import reverse

from .models import LIVE_OUTCOMES, AuditAction, Case, DocumentKind, ReportStatus
from .workflow import CaseStatus

S = CaseStatus
COLLECTED = frozenset({S.COLLECTED, S.COLLECTION_INCOMPLETE, S.REPORT_READY, S.SENT, S.CLOSED})
REPORTED = frozenset({S.REPORT_READY, S.SENT, S.CLOSED})
STOPPED = frozenset({S.REJECTED, S.WITHDRAWN})

# The case page's sections: URL name and title, in the order of their tabs.
SECTIONS = {
    "overview": ("cases:detail", "Overview"),
    "data": ("cases:data", "Data collected"),
    "report": ("cases:report", "Report and delivery"),
    "trail": ("cases:trail", "Trail"),
    "notes": ("cases:notes", "Notes"),
}


def section_url(case: Case, section: str, anchor: str = "") -> str:
    url = reverse(SECTIONS[section][0], args=[case.reference])
    return f"{url}#{anchor}" if anchor else url


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # "done", "current", "todo" or "stopped"

    @property
    def state_text(self) -> str:
        return {
            "done": "done",
            "current": "next",
            "todo": "to do",
            "stopped": "not reached",
        }[self.state]


def case_steps(case: Case, *, has_ready_report: bool) -> list[Step]:
    done = {
        "received": True,
        "identity": case.is_verified,
        "collected": case.status in COLLECTED,
        "report": has_ready_report or case.status in REPORTED,
        "sent": case.status in (S.SENT, S.CLOSED) or case.answered_at is not None,
        "closed": case.status == S.CLOSED,
    }
    labels = {
        "received": "Received",
        "identity": "Identity verified",
        "collected": "Collected",
        "report": "Report ready",
        "sent": "Sent",
        "closed": "Closed",
    }
    steps, current_found = [], False
    for key, label in labels.items():
        if done[key]:
            state = "done"
        elif case.status in STOPPED:
            state = "stopped"
        elif not current_found:
            state, current_found = "current", True
        else:
            state = "todo"
        steps.append(Step(key, label, state))
    return steps


@dataclass(frozen=True)
class NextAction:
    """The one thing to do now: a title, why, and either a button that does it (a POST to
    `post_url`) or a link to the section where it is done."""

    title: str
    text: str
    link: str = ""
    link_text: str = ""
    post_url: str = ""
    button: str = ""


def next_action(
    case: Case, *, has_ready_report: bool, generating: bool, has_windows: bool
) -> NextAction:
    ref = [case.reference]
    if case.status == S.REJECTED and not refusal_answered(case):
        return NextAction(
            "Tell the subject why",
            "The request is refused: the subject is owed the reasons and where to turn. Send "
            "the letter, or record how they were told.",
            section_url(case, "overview", "refusal"),
            "Answer the subject",
        )
    if case.status in STOPPED or case.status == S.CLOSED:
        return NextAction(
            "Nothing left to do",
            f"The case is {case.get_status_display().lower()}; its trail keeps what was done.",
            section_url(case, "trail"),
            "Read the trail",
        )
    if not case.is_verified:
        return NextAction(
            "Verify the subject's identity",
            "Record how the subject proved who they are. The report cannot be sent before.",
            section_url(case, "overview", "identity"),
            "Record the verification",
        )
    if case.status in (S.RECEIVED, S.IDENTITY_VERIFIED) and not has_windows:
        return NextAction(
            "Collect the subject's data",
            "Ask every Netcore account for the subject's email and SMS activity.",
            section_url(case, "data", "collection"),
            "Collection",
            reverse("cases:collect", args=ref),
            "Start collection",
        )
    if case.status == S.COLLECTING:
        return NextAction(
            "Collection is running",
            "Netcore is being asked, seven days at a time. This page moves on by itself.",
            section_url(case, "data", "collection"),
            "Watch the progress",
        )
    if case.status == S.COLLECTION_INCOMPLETE and not has_ready_report and not generating:
        return NextAction(
            "Some of the data could not be collected",
            "Retry the failed windows, or generate the report with the gaps stated in it.",
            section_url(case, "data", "collection"),
            "See the failed windows",
            reverse("cases:retry_failed", args=ref),
            "Retry failed windows",
        )
    if generating:
        return NextAction(
            "The report is being generated",
            "It appears in the report section when it is ready.",
            section_url(case, "report", "report-heading"),
            "Report and delivery",
        )
    if case.status == S.COLLECTED:
        return NextAction(
            "Generate the report",
            "The data is collected: make the access report the subject will receive.",
            section_url(case, "report", "report-heading"),
            "Report and delivery",
            reverse("cases:report_generate", args=ref),
            "Generate report",
        )
    if case.status == S.REPORT_READY:
        return NextAction(
            "Send the report to the subject",
            f"The report is ready and identity verified: send it to {case.subject_email}.",
            section_url(case, "report", "report-heading"),
            "Go to sending",
        )
    if case.status == S.SENT:
        return NextAction(
            "Close the case",
            "The subject has their report. Close the case once nothing more is owed to them.",
            section_url(case, "overview", "status"),
            "Close the case",
        )
    return NextAction(
        "Check the collection",
        "Start the collection again, or look at what was collected.",
        section_url(case, "data", "collection"),
        "Data collected",
    )


def refusal_letter_live(case: Case) -> bool:
    """The refusal letter is sent, or on its way."""
    return case.deliveries.filter(document=DocumentKind.REFUSAL, outcome__in=LIVE_OUTCOMES).exists()


def refusal_answered(case: Case) -> bool:
    """The subject of a refused request has their answer: the letter is sent or on its way, or
    an officer recorded how they were told."""
    return (
        refusal_letter_live(case)
        or case.audit_entries.filter(action=AuditAction.REFUSAL_GIVEN).exists()
    )


def report_facts(case: Case) -> tuple[bool, bool]:
    """(a ready report exists, a report is being generated): two small queries."""
    statuses = set(case.reports.values_list("status", flat=True).distinct())
    return ReportStatus.READY in statuses, ReportStatus.GENERATING in statuses
