"""Every kind of failure maps to its typed error; transient ones are retried, permanent not."""

import socket
import time
from datetime import date

import pytest

from netcore.errors import (
    BadApiKey,
    BadResponse,
    ConnectionFailed,
    PermanentError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    TransientError,
    UnexpectedResponse,
)
from netcore.sandbox import CannedResponse
from tests.netcore.conftest import make_account, make_client

WINDOW = {"primary_key": "p@example.com", "channel": "email", "start": date(2025, 1, 1)}
WINDOW["end"] = date(2025, 1, 7)
SUCCESS = {"status": "success", "result": {"channel_activity": []}}


def fetch(sandbox, api_key, **client_options):
    client = make_client(make_account(sandbox.url, api_key), **client_options)
    return client.fetch_window(**WINDOW)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TRANSIENT_ANSWERS = [
    (CannedResponse(500, b"<h1>oops</h1>"), ServerError),
    (CannedResponse(502, b""), ServerError),
    (CannedResponse(503, {"status": "fail"}), ServerError),
    (CannedResponse(429, b"", {"Retry-After": "0"}), RateLimited),
    (CannedResponse(200, b"<html><body>Maintenance</body></html>"), BadResponse),
    (CannedResponse(200, b'{"status": "success", "result": {"channel_'), BadResponse),
    (CannedResponse(200, b""), BadResponse),
]


@pytest.mark.parametrize(("answer", "error"), TRANSIENT_ANSWERS)
def test_transient_answers_are_retried_until_success(start_sandbox, api_key, caplog, answer, error):
    sandbox = start_sandbox(canned=[answer, answer, CannedResponse(200, SUCCESS)])

    with caplog.at_level("WARNING", logger="netcore.client"):
        result = fetch(sandbox, api_key, max_attempts=3)

    assert result.records == []
    assert len(sandbox.requests) == 3
    # Each retry was for the error this answer is.
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert [m.split(" (")[1].split(":")[0] for m in retries] == [error.__name__] * 2


@pytest.mark.parametrize(("answer", "error"), TRANSIENT_ANSWERS)
def test_transient_answers_raise_their_error_when_attempts_run_out(
    start_sandbox, api_key, answer, error
):
    sandbox = start_sandbox(canned=answer)

    with pytest.raises(error) as raised:
        fetch(sandbox, api_key, max_attempts=3)

    assert isinstance(raised.value, TransientError)
    assert len(sandbox.requests) == 3


PERMANENT_ANSWERS = [
    (CannedResponse(401, {"status": "fail", "details": "Invalid API key."}), BadApiKey),
    (CannedResponse(403, b"Forbidden"), BadApiKey),
    (CannedResponse(200, {"status": "fail", "details": "Invalid apikey"}), BadApiKey),
    (CannedResponse(400, {"status": "fail", "details": "Bad request"}), RequestRejected),
    (CannedResponse(404, b"Not found"), RequestRejected),
    (CannedResponse(200, {"status": "fail", "details": "Invalid channel."}), RequestRejected),
    (CannedResponse(200, {"status": "error"}), RequestRejected),
    (CannedResponse(200, {"result": {"channel_activity": []}}), RequestRejected),
    (CannedResponse(200, {"status": "success"}), UnexpectedResponse),
    (CannedResponse(200, {"status": "success", "result": []}), UnexpectedResponse),
    (
        CannedResponse(200, {"status": "success", "result": {"channel_activity": {}}}),
        UnexpectedResponse,
    ),
    (
        CannedResponse(200, {"status": "success", "result": {"channel_activity": [1]}}),
        UnexpectedResponse,
    ),
    (CannedResponse(200, [SUCCESS]), UnexpectedResponse),
]


@pytest.mark.parametrize(("answer", "error"), PERMANENT_ANSWERS)
def test_permanent_answers_are_not_retried(start_sandbox, api_key, answer, error):
    sandbox = start_sandbox(canned=[answer, CannedResponse(200, SUCCESS)])

    with pytest.raises(error) as raised:
        fetch(sandbox, api_key, max_attempts=5)

    assert isinstance(raised.value, PermanentError)
    assert len(sandbox.requests) == 1


def test_error_messages_carry_a_classified_cause_and_the_log_the_details(
    start_sandbox, api_key, caplog
):
    sandbox = start_sandbox(canned=CannedResponse(200, {"status": "fail", "details": "Bad dates"}))

    with pytest.raises(RequestRejected, match=r"answered status 'fail'$") as raised:
        fetch(sandbox, api_key)

    assert "Bad dates" not in str(raised.value)
    assert "Bad dates" in caplog.text


def test_a_server_error_carries_its_status(start_sandbox, api_key):
    sandbox = start_sandbox(canned=CannedResponse(504, b"gateway timeout"))

    with pytest.raises(ServerError, match="HTTP 504") as raised:
        fetch(sandbox, api_key, max_attempts=1)

    assert raised.value.status_code == 504


def test_a_slow_answer_times_out_and_is_retried(start_sandbox, api_key):
    sandbox = start_sandbox(slow_rate=1.0, slow_ms=600, max_faults_per_request=1)

    result = fetch(sandbox, api_key, timeout=0.2, max_attempts=2)

    deadline = time.monotonic() + 2  # the sandbox logs the slow request once it has answered
    while len(sandbox.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(r.fault or "" for r in sandbox.requests) == ["", "slow"]
    assert len(result.records) == 7 * sandbox.events_per_day


def test_a_slow_answer_raises_request_timeout_when_attempts_run_out(start_sandbox, api_key):
    sandbox = start_sandbox(slow_rate=1.0, slow_ms=600, max_faults_per_request=None)

    with pytest.raises(RequestTimeout, match="no answer in time"):
        fetch(sandbox, api_key, timeout=0.2, max_attempts=2)


def test_a_truncated_body_is_a_bad_response_and_retried(start_sandbox, api_key):
    sandbox = start_sandbox(truncate_rate=1.0, max_faults_per_request=2)

    result = fetch(sandbox, api_key, max_attempts=3)

    assert [r.fault for r in sandbox.requests] == ["truncate", "truncate", None]
    assert [r.raw for r in result.records] == sandbox.expected_activity(
        WINDOW["primary_key"], "email", WINDOW["start"], WINDOW["end"]
    )


def test_a_truncated_body_raises_bad_response_when_attempts_run_out(start_sandbox, api_key):
    sandbox = start_sandbox(truncate_rate=1.0, max_faults_per_request=None)

    with pytest.raises(BadResponse, match="truncated"):
        fetch(sandbox, api_key, max_attempts=2)


def test_an_unreachable_server_is_a_connection_failure_retried(api_key, caplog):
    client = make_client(make_account(f"http://127.0.0.1:{free_port()}", api_key), max_attempts=3)

    with pytest.raises(ConnectionFailed, match="cannot reach"):
        client.fetch_window(**WINDOW)

    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2


def test_sandbox_faults_are_survived_and_the_data_is_complete(start_sandbox, api_key):
    sandbox = start_sandbox(
        seed=7, error_rate=0.2, throttle_rate=0.2, truncate_rate=0.2, retry_after="0.01"
    )
    client = make_client(make_account(sandbox.url, api_key), max_attempts=4)

    for week in range(6):
        start = date(2025, 3, 1 + 7 * week) if week < 4 else date(2025, 4, 1 + 7 * (week - 4))
        end = date.fromordinal(start.toordinal() + 6)
        result = client.fetch_window(primary_key="x@y.z", channel="sms", start=start, end=end)
        assert [r.raw for r in result.records] == sandbox.expected_activity(
            "x@y.z", "sms", start, end
        )

    assert {r.fault for r in sandbox.requests} >= {"error", "throttle", "truncate", None}


@pytest.mark.parametrize(
    "window",
    [
        {**WINDOW, "channel": "whatsapp"},
        {**WINDOW, "primary_key": ""},
        {**WINDOW, "end": date(2024, 12, 31)},
        {**WINDOW, "end": date(2025, 1, 8)},
    ],
)
def test_a_malformed_window_is_a_value_error_before_any_request(sandbox, api_key, window):
    client = make_client(make_account(sandbox.url, api_key))

    with pytest.raises(ValueError):
        client.fetch_window(**window)

    assert sandbox.requests == []
