"""Where the team stands, for the home page: open cases by status and by regime, what is due this
week, what is overdue, and how long answering took over the last 90 days. Also the due-date
filters that the case list understands."""

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, QuerySet
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
