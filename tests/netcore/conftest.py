"""Fixtures for the Netcore tests: a distinctive API key, sandboxes on free ports, fast clients."""

import bisect
import secrets
from collections.abc import Callable, Iterator

import pytest

from netcore.client import NetcoreClient
from netcore.models import NetcoreAccount
from netcore.ratelimit import LocalRateLimiter
from netcore.sandbox import Sandbox

# Small enough to keep the whole suite fast, large enough to see the waits.
FAST_RETRY = {"backoff_initial": 0.01, "backoff_max": 0.05, "timeout": 5.0}


@pytest.fixture
def api_key() -> str:
    """A key with characters that URL encoding changes, so masking must cover both forms."""
    return f"nck{secrets.token_hex(12)}+/="


@pytest.fixture
def start_sandbox(api_key: str) -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes (with the test's API key unless given) and stop them after the test."""
    started: list[Sandbox] = []

    def start(**options) -> Sandbox:
        options.setdefault("api_key", api_key)
        sandbox = Sandbox(**options)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(start_sandbox) -> Sandbox:
    return start_sandbox()


def make_account(base_url: str, api_key: str, **fields) -> NetcoreAccount:
    """An unsaved account (the client needs no database)."""
    fields.setdefault("name", f"test-{secrets.token_hex(4)}")
    fields.setdefault("max_rps", 1000)
    return NetcoreAccount(base_url=base_url, api_key=api_key, **fields)


def make_client(account: NetcoreAccount, **options) -> NetcoreClient:
    """A client with fast retries and its own in-process rate limiter."""
    options = {**FAST_RETRY, "rate_limiter": LocalRateLimiter(), **options}
    return NetcoreClient(account, **options)


def assert_rate_held(times: list[float], rate: int) -> None:
    """At most `rate` requests per second, allowing for arrival jitter on a loaded machine.

    A slot late to arrive (a thread scheduled late, a new connection) bunches with the next ones,
    so a one-second window may hold a few more than `rate`; a limit not shared would let through
    twice the rate or more.
    """
    times = sorted(times)
    allowance = max(2, rate // 4)
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    assert busiest <= rate + allowance, f"{busiest} requests within one second"
    assert times[-1] - times[0] >= (len(times) - 1) / rate - 0.15
