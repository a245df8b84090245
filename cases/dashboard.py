"""Where the team stands, for the home page: the work queues (overdue, due this week, waiting for
identity, ready to send, collection failed), open cases by status and by regime, and how long
answering took over the last 90 days. Also the filters that the case list understands for each of
them."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from .models import Case
from .regimes import REGIMES, Regime
from .workflow import ANSWERED, FINISHED, CaseStatus

DUE_SOON_DAYS = 7
ANSWERED_PERIOD_DAYS = 90

# The case list's `due` filter: value -> label.
DUE_FILTERS = {
    "week": f"Due within {DUE_SOON_DAYS} days",
    "overdue": "Overdue",
    "answered": f"Answered in the last {ANSWERED_PERIOD_DAYS} days",
}


# A case whose clock is stopped for a clarification is neither due soon nor overdue.
def due_soon(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    return cases.clock_running().filter(
        due_date__gte=today, due_date__lte=today + timedelta(days=DUE_SOON_DAYS)
    )


def overdue(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    return cases.clock_running().filter(due_date__lt=today)


def answered_recently(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    """Cases sent or closed now whose first answer was in the last ANSWERED_PERIOD_DAYS days."""
    since = timezone.now() - timedelta(days=ANSWERED_PERIOD_DAYS)
    return cases.filter(status__in=ANSWERED, answered_at__gte=since)


def waiting_for_identity(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    return cases.open().filter(verified_at__isnull=True)


def ready_to_send(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    """A ready report and identity verified: the next step is sending it."""
    return cases.filter(status=CaseStatus.REPORT_READY, verified_at__isnull=False)


def collection_failed(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    return cases.filter(status=CaseStatus.COLLECTION_INCOMPLETE)


@dataclass(frozen=True)
class Queue:
    """One list of the dashboard: what it holds, and what to say when it is empty."""

    label: str
    select: Callable[[QuerySet[Case], date], QuerySet[Case]]
    empty: str
    # The case list's filter that lists the whole queue: (parameter, value).
    link: tuple[str, str]


# In the order the dashboard shows them: the most urgent first.
QUEUES: dict[str, Queue] = {
    "overdue": Queue(
        "Overdue",
        overdue,
        "Nothing is overdue. A case whose deadline has passed comes first here.",
        ("due", "overdue"),
    ),
    "due_soon": Queue(
        f"Due within {DUE_SOON_DAYS} days",
        due_soon,
        f"No case is due within {DUE_SOON_DAYS} days.",
        ("due", "week"),
    ),
    "identity": Queue(
        "Waiting for identity",
        waiting_for_identity,
        "Every open case has the subject's identity verified. New requests wait here until "
        "you record how the subject proved who they are (on the case's overview).",
        ("queue", "identity"),
    ),
    "ready": Queue(
        "Ready to send",
        ready_to_send,
        "No report is waiting to be sent. Once a report is ready and identity verified, the "
        "case waits here; send it from the case's report section.",
        ("queue", "ready"),
    ),
    "failed": Queue(
        "Collection failed",
        collection_failed,
        "No collection has failed windows. When Netcore cannot be reached for part of a "
        "search, the case waits here until the windows are retried.",
        ("queue", "failed"),
    ),
}
# The queues the case list's `queue` filter offers (the deadline ones are its `due` filter).
LISTED_QUEUES = {key: q.label for key, q in QUEUES.items() if q.link[0] == "queue"}


def filter_by_queue(cases: QuerySet[Case], queue: str, today: date | None = None):
    """The case list's `queue` filter (a key of LISTED_QUEUES; anything else leaves `cases`)."""
    today = today or timezone.localdate()
    return QUEUES[queue].select(cases, today) if queue in LISTED_QUEUES else cases


def filter_by_due(cases: QuerySet[Case], due: str, today: date | None = None) -> QuerySet[Case]:
    """The case list's `due` filter (a key of DUE_FILTERS; anything else leaves `cases` as is)."""
    today = today or timezone.localdate()
    selectors = {"week": due_soon, "overdue": overdue, "answered": answered_recently}
    return selectors[due](cases, today) if due in selectors else cases


@dataclass(frozen=True)
class Dashboard:
    open_by_status: list[tuple[CaseStatus, int]]
    open_total: int
    open_by_regime: list[tuple[Regime, int]]
    due_soon: int
    overdue: int
    median_days_to_answer: float | None
    answered: int


def dashboard_figures(cases: QuerySet[Case], today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    counts = dict(
        cases.open()
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_status = [
        (s, counts[s.value]) for s in CaseStatus if s not in FINISHED and counts.get(s.value)
    ]
    by_regime = dict(
        cases.open()
        .order_by()
        .values_list("regime")
        .annotate(n=Count("id"))
        .values_list("regime", "n")
    )
    days = [
        (timezone.localdate(answered_at) - received_on).days
        for received_on, answered_at in answered_recently(cases, today).values_list(
            "received_on", "answered_at"
        )
    ]
    return Dashboard(
        open_by_status=by_status,
        open_total=sum(counts.values()),
        open_by_regime=[(r, by_regime[r.code]) for r in REGIMES.values() if by_regime.get(r.code)],
        due_soon=due_soon(cases, today).count(),
        overdue=overdue(cases, today).count(),
        median_days_to_answer=statistics.median(days) if days else None,
        answered=len(days),
    )


QUEUE_ROWS = 8


@dataclass(frozen=True)
class QueueList:
    key: str
    queue: Queue
    cases: list[Case]
    total: int
    # The case list showing the whole queue (and only the officer's cases, for "my cases").
    link: str


def dashboard_queues(cases: QuerySet[Case], *, officer=None, today=None) -> list[QueueList]:
    """Each queue's first cases (soonest deadline first) and its size."""
    today = today or timezone.localdate()
    lists = []
    for key, queue in QUEUES.items():
        selected = queue.select(cases, today).order_by("due_date", "reference")
        query = {queue.link[0]: queue.link[1]}
        if officer is not None:
            query["officer"] = officer.pk
        lists.append(
            QueueList(
                key=key,
                queue=queue,
                cases=list(selected[:QUEUE_ROWS]),
                total=selected.count(),
                link=f"{reverse('cases:list')}?{urlencode(query)}",
            )
        )
    return lists
