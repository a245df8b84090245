"""Shared pieces for harvest tests: a sandbox, an account pointing at it, expected events, and
waiting for a collection to end."""

import time
from collections import Counter
from datetime import date, timedelta

from cases.models import Case, WindowStatus
from netcore.models import NetcoreAccount
from netcore.sandbox import Sandbox
from netcore.services import account_create
from tests.factories import make_case

SANDBOX_KEY = "sandbox-key-0123456789"


def sandbox_account(sandbox: Sandbox, *, name: str = "Sandbox", max_rps: int = 500, **extra):
    return account_create(
        name=name, base_url=sandbox.url, api_key=SANDBOX_KEY, max_rps=max_rps, **extra
    )


def expected_counts(sandbox: Sandbox, case) -> dict[str, int]:
    """Events the sandbox holds for a case, per channel (all primary keys)."""
    counts: Counter[str] = Counter()
    for primary_key in case.primary_keys:
        for channel in case.channels:
            counts[channel] += len(
                sandbox.expected_activity(primary_key, channel, case.search_from, case.search_to)
            )
    return dict(counts)


def event_counts(case) -> dict[str, int]:
    return dict(Counter(case.events.values_list("channel", flat=True)))


def d(text: str) -> date:
    return date.fromisoformat(text)


def wait_for(condition, *, timeout: float, every: float = 0.2, on_tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if on_tick:
            on_tick()
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


def collection_over(case) -> bool:
    return Case.objects.get(pk=case.pk).status != "collecting"


def case_over(officer, days: int, keys=("ana@example.com",)):
    start = d("2025-01-01")
    return make_case(
        actor=officer,
        primary_keys=list(keys),
        channels=["email", "sms"],
        search_from=start,
        search_to=start + timedelta(days=days - 1),
    )


def assert_exact(case, sandbox) -> None:
    case.refresh_from_db()
    assert case.status == "collected"
    assert event_counts(case) == expected_counts(sandbox, case)
    assert case.windows.exclude(status=WindowStatus.DONE).count() == 0
    # Each run (start or retry) of the collection finishes exactly once.
    runs = case.audit_entries.filter(action__in=["collection_started", "collection_retried"])
    assert case.audit_entries.filter(action="collection_finished").count() == runs.count()


__all__ = ["SANDBOX_KEY", "NetcoreAccount", "expected_counts", "sandbox_account"]
