"""An account's max requests per second holds across threads, and across processes via Redis."""

import itertools
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from netcore.ratelimit import LocalRateLimiter, RedisRateLimiter
from tests.netcore.conftest import assert_rate_held, make_account, make_client

ROOT = Path(__file__).resolve().parents[2]


def fetch_days(client, count: int, threads: int, primary_key: str = "p") -> float:
    def fetch(index: int) -> None:
        day = date(2025, 1, 1) + timedelta(days=index)
        client.fetch_window(primary_key=primary_key, channel="email", start=day, end=day)

    began = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, range(count)))
    return time.monotonic() - began


def test_the_local_limiter_spaces_slots_per_key():
    limiter = LocalRateLimiter()

    waits = [limiter.reserve("a", 10) for _ in range(5)]
    other = limiter.reserve("b", 10)

    assert waits[0] == 0
    for previous, following in itertools.pairwise(waits):
        assert following - previous == pytest.approx(0.1, abs=0.01)
    assert other == 0


def test_the_rate_holds_across_threads_in_one_process(start_sandbox, api_key):
    sandbox = start_sandbox(events_per_day=1)
    client = make_client(make_account(sandbox.url, api_key, max_rps=20))

    fetch_days(client, count=30, threads=8)

    assert_rate_held(sandbox.request_times(), 20)


def test_the_limiter_does_not_serialise_slow_requests(start_sandbox, api_key):
    # 8 threads, 100 ms per answer: 80 requests/s possible, so a 40/s limit is the only brake.
    sandbox = start_sandbox(events_per_day=1, latency_ms=100)
    client = make_client(make_account(sandbox.url, api_key, max_rps=40))

    elapsed = fetch_days(client, count=40, threads=8)

    # Ideal: 39 slots of 25 ms plus the last answer (~1.1 s); one at a time would take 4 s.
    assert elapsed < 2.5
    assert_rate_held(sandbox.request_times(), 40)


def test_the_rate_holds_across_two_processes_through_redis(start_sandbox, api_key, redis_url):
    sandbox = start_sandbox(events_per_day=1)
    name = f"ratelimit-{secrets.token_hex(6)}"
    env = {**os.environ, "NETCORE_API_KEY": api_key, "REDIS_URL": redis_url}
    command = [sys.executable, "-m", "tests.netcore.ratelimit_worker", sandbox.url, name]
    workers = [
        subprocess.Popen([*command, "10", "12", "4"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr.decode()[-2000:]

    times = sandbox.request_times()
    assert len(times) == 24
    assert all(r.status == 200 for r in sandbox.requests)
    assert_rate_held(times, 10)


def test_redis_limiter_does_not_serialise_slow_requests(start_sandbox, api_key, redis_url):
    sandbox = start_sandbox(events_per_day=1, latency_ms=100)
    account = make_account(sandbox.url, api_key, max_rps=40, name=f"rl-{secrets.token_hex(6)}")
    client = make_client(account, rate_limiter=RedisRateLimiter(redis_url))

    elapsed = fetch_days(client, count=40, threads=8)

    assert elapsed < 2.5
    assert_rate_held(sandbox.request_times(), 40)
