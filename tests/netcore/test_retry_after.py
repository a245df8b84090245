"""A 429's Retry-After is waited for (and capped), rather than the exponential backoff."""

import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from netcore.client import parse_retry_after
from netcore.errors import RateLimited
from netcore.sandbox import CannedResponse
from tests.netcore.conftest import make_account, make_client

SUCCESS = {"status": "success", "result": {"channel_activity": []}}
WINDOW = {"primary_key": "p", "channel": "sms", "start": date(2025, 1, 1), "end": date(2025, 1, 1)}


def test_retry_after_seconds_are_waited_before_the_next_attempt(start_sandbox, api_key):
    throttled = CannedResponse(429, b"", {"Retry-After": "0.6"})
    sandbox = start_sandbox(canned=[throttled, CannedResponse(200, SUCCESS)])
    client = make_client(make_account(sandbox.url, api_key), backoff_initial=0.01)

    began = time.monotonic()
    client.fetch_window(**WINDOW)
    elapsed = time.monotonic() - began

    first, second = sandbox.requests
    assert elapsed >= 0.6
    assert second.at - first.at >= 0.55  # arrival times jitter a little
    assert elapsed < 2.0


def test_retry_after_is_capped(start_sandbox, api_key):
    throttled = CannedResponse(429, b"", {"Retry-After": "3600"})
    sandbox = start_sandbox(canned=[throttled, CannedResponse(200, SUCCESS)])
    client = make_client(make_account(sandbox.url, api_key), retry_after_max=0.3)

    began = time.monotonic()
    client.fetch_window(**WINDOW)

    assert 0.3 <= time.monotonic() - began < 2.0


def test_without_retry_after_the_backoff_applies(start_sandbox, api_key):
    sandbox = start_sandbox(canned=[CannedResponse(429, b""), CannedResponse(200, SUCCESS)])
    client = make_client(make_account(sandbox.url, api_key), backoff_initial=0.4, backoff_max=0.4)

    began = time.monotonic()
    client.fetch_window(**WINDOW)

    assert time.monotonic() - began >= 0.4


def test_the_sandbox_throttle_sends_retry_after_and_the_client_waits(start_sandbox, api_key):
    sandbox = start_sandbox(throttle_rate=1.0, retry_after="0.3", max_faults_per_request=2)
    client = make_client(make_account(sandbox.url, api_key), backoff_initial=0.01)

    began = time.monotonic()
    client.fetch_window(**WINDOW)

    times = [r.at for r in sandbox.requests]
    assert [r.status for r in sandbox.requests] == [429, 429, 200]
    assert time.monotonic() - began >= 0.6
    assert times[1] - times[0] >= 0.25  # arrival times jitter a little
    assert times[2] - times[1] >= 0.25


def test_rate_limited_error_keeps_retry_after(start_sandbox, api_key):
    sandbox = start_sandbox(canned=CannedResponse(429, b"", {"Retry-After": "0.05"}))
    client = make_client(make_account(sandbox.url, api_key), max_attempts=2)

    with pytest.raises(RateLimited) as raised:
        client.fetch_window(**WINDOW)

    assert raised.value.retry_after == 0.05


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_header_values(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)

    seconds = parse_retry_after(format_datetime(when, usegmt=True))

    assert 28 <= seconds <= 30
