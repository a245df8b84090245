"""The API key appears in no exception (message, repr, traceback) and no log line, on any path."""

import logging
import traceback
from datetime import date
from urllib.parse import quote, quote_plus

import pytest

from netcore.errors import NetcoreError
from netcore.sandbox import CannedResponse
from tests.netcore.conftest import make_account, make_client
from tests.netcore.test_error_kinds_and_retries import free_port

WINDOW = {
    "primary_key": "p",
    "channel": "email",
    "start": date(2025, 1, 1),
    "end": date(2025, 1, 2),
}


def leaks(text: str, api_key: str) -> bool:
    return any(form in text for form in {api_key, quote(api_key, safe=""), quote_plus(api_key)})


def every_text_of(error: BaseException) -> str:
    return "\n".join(
        [str(error), repr(error), *map(str, error.args), *traceback.format_exception(error)]
    )


def echoing(api_key: str) -> list[CannedResponse]:
    """Answers that repeat the key back, as a careless server or proxy might."""
    url = f"/apiv2?type=export_data&apikey={quote_plus(api_key)}"
    return [
        CannedResponse(500, f"<h1>Error</h1><p>{url}</p>"),
        CannedResponse(401, {"status": "fail", "details": f"Invalid API key {api_key}"}),
        CannedResponse(400, f"bad request for apikey={api_key}"),
        CannedResponse(200, {"status": "fail", "details": f"key {api_key} is disabled"}),
        CannedResponse(200, f"<html>{api_key}</html>"),
    ]


@pytest.mark.parametrize("answer_index", range(5))
def test_answers_echoing_the_key_leak_nothing(start_sandbox, api_key, caplog, answer_index):
    caplog.set_level(logging.DEBUG)
    sandbox = start_sandbox(canned=echoing(api_key)[answer_index])
    client = make_client(make_account(sandbox.url, api_key), max_attempts=2)

    with pytest.raises(NetcoreError) as raised:
        client.fetch_window(**WINDOW)

    assert not leaks(every_text_of(raised.value), api_key)
    assert not leaks(caplog.text, api_key)
    assert any("apikey=***" in r.getMessage() for r in caplog.records)  # urllib3's request line


FAULTS = [
    {"error_rate": 1.0},
    {"throttle_rate": 1.0, "retry_after": "0"},
    {"truncate_rate": 1.0},
    {"slow_rate": 1.0, "slow_ms": 400},
]


@pytest.mark.parametrize("fault", FAULTS)
def test_transient_faults_leak_nothing(start_sandbox, api_key, caplog, fault):
    caplog.set_level(logging.DEBUG)
    sandbox = start_sandbox(max_faults_per_request=None, **fault)
    client = make_client(make_account(sandbox.url, api_key), max_attempts=2, timeout=0.15)

    with pytest.raises(NetcoreError) as raised:
        client.fetch_window(**WINDOW)

    assert not leaks(every_text_of(raised.value), api_key)
    assert not leaks(caplog.text, api_key)
    assert any("retrying" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:{port}", "ftp://127.0.0.1:{port}", "http://[::1"]
)
def test_connection_failures_leak_nothing(api_key, caplog, base_url):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NetcoreError) as raised:
        account = make_account(base_url.format(port=free_port()), api_key)
        make_client(account, max_attempts=2).fetch_window(**WINDOW)

    assert not leaks(every_text_of(raised.value), api_key)
    assert not leaks(caplog.text, api_key)


def test_the_check_leaks_nothing(start_sandbox, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox = start_sandbox(canned=echoing(api_key)[0])

    result = make_client(make_account(sandbox.url, api_key)).check()

    assert not result.ok
    assert not leaks(result.detail, api_key)
    assert not leaks(caplog.text, api_key)


def test_the_sandbox_log_leaks_nothing(sandbox, api_key, caplog):
    caplog.set_level(logging.DEBUG)

    make_client(make_account(sandbox.url, api_key)).fetch_window(**WINDOW)

    assert any(r.name == "netcore.sandbox" for r in caplog.records)
    assert not leaks(caplog.text, api_key)


def test_reprs_of_client_and_account_hide_the_key(sandbox, api_key):
    account = make_account(sandbox.url, api_key)
    client = make_client(account)

    for text in (repr(client), str(client), repr(account), str(account)):
        assert not leaks(text, api_key)
    assert account.api_key_masked == f"…{api_key[-4:]}"
