"""When the rate limiter's Redis is away, requests wait for it (not failing, not spending Netcore
attempts), up to NETCORE_RATE_LIMITER_MAX_WAIT or the caller's deadline; and a deadline bounds a
whole fetch: requests, backoff and waits."""

import threading
import time
from datetime import date

import pytest

from netcore.errors import RateLimiterUnavailable, RequestTimeout, ServerError
from netcore.ratelimit import RedisRateLimiter
from tests.netcore.conftest import make_account, make_client

DAY = date(2025, 1, 1)


def fetch(client, **options):
    return client.fetch_window(
        primary_key="ana@example.com", channel="email", start=DAY, end=DAY, **options
    )


def test_requests_wait_for_redis_to_come_back(private_redis, sandbox, api_key):
    client = make_client(
        make_account(sandbox.url, api_key), rate_limiter=RedisRateLimiter(private_redis.url)
    )
    fetch(client)
    private_redis.stop()
    restart = threading.Timer(1.5, private_redis.start)
    restart.start()
    began = time.monotonic()
    try:
        result = fetch(client)
    finally:
        restart.join()
    assert time.monotonic() - began >= 1.4
    assert [r.raw for r in result.records] == sandbox.expected_activity(
        "ana@example.com", "email", DAY, DAY
    )
    assert len(sandbox.requests) == 2  # one a fetch: the outage cost no attempt


def test_a_long_outage_fails_once_without_asking_netcore(private_redis, sandbox, api_key, settings):
    settings.NETCORE_RATE_LIMITER_MAX_WAIT = 0.5
    client = make_client(
        make_account(sandbox.url, api_key),
        rate_limiter=RedisRateLimiter(private_redis.url),
        max_attempts=5,
    )
    private_redis.stop()
    began = time.monotonic()
    with pytest.raises(RateLimiterUnavailable, match=r"waited 0 s for it|waited 1 s for it"):
        fetch(client)
    # One wait of half a second, not five attempts' worth.
    assert 0.45 <= time.monotonic() - began < 1.2
    assert sandbox.requests == []


def test_the_outage_wait_ends_at_the_callers_deadline(private_redis, sandbox, api_key):
    client = make_client(
        make_account(sandbox.url, api_key), rate_limiter=RedisRateLimiter(private_redis.url)
    )
    private_redis.stop()
    began = time.monotonic()
    with pytest.raises(RateLimiterUnavailable):
        fetch(client, deadline=began + 0.4)
    assert time.monotonic() - began < 0.8


def test_a_deadline_cuts_a_slow_request_short(start_sandbox, api_key):
    sandbox = start_sandbox(latency_ms=3000)
    client = make_client(make_account(sandbox.url, api_key), timeout=(5.0, 60.0))
    began = time.monotonic()
    with pytest.raises(RequestTimeout):
        fetch(client, deadline=began + 1.0)
    assert time.monotonic() - began < 1.5


def test_no_backoff_reaches_past_the_deadline(start_sandbox, api_key):
    sandbox = start_sandbox(error_rate=1.0, max_faults_per_request=None)
    client = make_client(
        make_account(sandbox.url, api_key), backoff_initial=5.0, backoff_max=5.0, max_attempts=5
    )
    began = time.monotonic()
    with pytest.raises(ServerError):
        fetch(client, deadline=began + 1.0)
    assert time.monotonic() - began < 0.5  # it gave up instead of sleeping five seconds
    assert len(sandbox.requests) == 1
