"""Shared pieces for harvest tests: a sandbox, an account pointing at it, expected events."""

from collections import Counter
from datetime import date

from netcore.models import NetcoreAccount
from netcore.sandbox import Sandbox
from netcore.services import account_create

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


__all__ = ["SANDBOX_KEY", "NetcoreAccount", "expected_counts", "sandbox_account"]
