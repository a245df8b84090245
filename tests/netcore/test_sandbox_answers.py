"""The sandbox answers like the API: validation, deterministic activity, reproducible faults."""

import contextlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from netcore.records import parse_activity_date
from netcore.sandbox import sandbox_activity, sandbox_activity_range

QUERY = {"type": "export_data", "activity": "get_user_channel_activity_data"}
DATA = {
    "primary_key": "a@example.com",
    "channel": "email",
    "from_date": "01012025",
    "to_date": "07012025",
}


def post(sandbox, api_key, *, query=None, data=None, raw_data=None, method="POST", path="/apiv2"):
    params = {**QUERY, "apikey": api_key, **(query or {})}
    params = {k: v for k, v in params.items() if v is not None}
    body = {"data": raw_data if raw_data is not None else json.dumps({**DATA, **(data or {})})}
    return requests.request(method, sandbox.url + path, params=params, data=body, timeout=5)


def test_a_valid_request_gets_the_documented_success_shape(sandbox, api_key):
    response = post(sandbox, api_key)

    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "success"
    assert payload["details"] == "Data fetched successfully."
    assert payload["result"]["from_date"] == "01012025"
    assert payload["result"]["to_date"] == "07012025"
    assert payload["result"]["channel"] == "email"
    assert payload["result"]["channel_activity"] == sandbox_activity_range(
        "a@example.com", "email", date(2025, 1, 1), date(2025, 1, 7), seed=0
    )


@pytest.mark.parametrize("key", ["wrong-key-0000", "", None])
def test_a_wrong_or_missing_key_is_401(sandbox, api_key, key):
    response = post(sandbox, api_key, query={"apikey": key})

    assert response.status_code == 401
    assert response.json() == {"status": "fail", "details": "Invalid API key."}


def test_the_documented_curl_form_is_accepted(sandbox, api_key):
    # The document's curl call sends the form body with a JSON content type.
    response = requests.post(
        sandbox.url + "/apiv2",
        params={**QUERY, "apikey": api_key},
        data="data=" + json.dumps(DATA),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )

    assert response.json()["status"] == "success"


@pytest.mark.parametrize(
    ("change", "details"),
    [
        ({"query": {"type": "import_data"}}, "Invalid type."),
        ({"query": {"type": None}}, "Invalid type."),
        ({"query": {"activity": "get_user_summary_data"}}, "Invalid activity."),
        ({"raw_data": ""}, "Missing data."),
        ({"raw_data": "{primary_key: a}"}, "Invalid data: not JSON."),
        ({"raw_data": "[1, 2]"}, "Invalid data: expected a JSON object."),
        ({"data": {"primary_key": ""}}, "Missing primary_key."),
        ({"data": {"primary_key": None}}, "Missing primary_key."),
        ({"data": {"channel": "whatsapp"}}, "Invalid channel: expected email or sms."),
        ({"data": {"from_date": "2025-01-01"}}, "Invalid from_date: expected DDMMYYYY."),
        ({"data": {"from_date": "1012025"}}, "Invalid from_date: expected DDMMYYYY."),
        ({"data": {"to_date": "32012025"}}, "Invalid to_date: not a calendar date."),
        ({"data": {"to_date": 7012025}}, "Invalid to_date: expected DDMMYYYY."),
        ({"data": {"from_date": "08012025"}}, "from_date is after to_date."),
        ({"data": {"to_date": "08012025"}}, "Date range cannot exceed 7 days."),
    ],
)
def test_invalid_requests_get_a_fail_answer(sandbox, api_key, change, details):
    response = post(sandbox, api_key, **change)

    assert response.status_code == 200
    assert response.json() == {"status": "fail", "details": details}


def test_other_paths_and_methods(sandbox, api_key):
    assert post(sandbox, api_key, path="/apiv3").status_code == 404
    assert post(sandbox, api_key, method="GET").status_code == 405


def test_activity_is_deterministic_and_exactly_events_per_day():
    day = date(2025, 5, 17)

    first = sandbox_activity("x@example.com", "email", day, seed=4, events_per_day=9)

    assert first == sandbox_activity("x@example.com", "email", day, seed=4, events_per_day=9)
    assert first != sandbox_activity("x@example.com", "email", day, seed=5, events_per_day=9)
    assert first != sandbox_activity("y@example.com", "email", day, seed=4, events_per_day=9)
    assert len(first) == 9
    assert sandbox_activity("x@example.com", "sms", day, events_per_day=0) == []


def days(count: int) -> list[date]:
    return [date(2025, 1, 1) + timedelta(days=n) for n in range(count)]


def test_activity_is_realistic_and_has_the_quirks_callers_must_handle():
    email = [r for d in days(120) for r in sandbox_activity("q@example.com", "email", d)]
    sms = [r for d in days(120) for r in sandbox_activity("q@example.com", "sms", d)]

    assert {"sent", "open", "click"} <= {r["activity"] for r in email}
    assert {"sent", "delivered", "click"} <= {r["activity"] for r in sms}
    assert {r["activity"] for r in email} - {"sent", "open", "click"}  # unknown activities
    assert {r["activity"] for r in sms} - {"sent", "delivered", "click"}
    clicks = [r for r in email if r["activity"] == "click"]
    assert all({"ip", "device", "os", "browser", "link"} <= set(r) for r in clicks)
    known = {
        "activity",
        "message_id",
        "msg_name",
        "activity_date",
        "ip",
        "device",
        "os",
        "browser",
        "link",
    }
    assert any(set(r) - known for r in email + sms)  # unknown fields
    assert any(isinstance(r["message_id"], str) for r in email + sms)
    names = " ".join(r["msg_name"] for r in email + sms)
    assert any("\u0370" <= c <= "\u03ff" for c in names)  # Greek
    assert any("\u0400" <= c <= "\u04ff" for c in names)  # Cyrillic
    assert any("\u0900" <= c <= "\u097f" for c in names)  # Devanagari
    for day in days(120):
        records = sandbox_activity("q@example.com", "email", day)
        # Identical records on one day: two events, which callers must not merge.
        if len({json.dumps(r, sort_keys=True) for r in records}) < len(records):
            break
    else:
        pytest.fail("no day with two identical records")


def test_activity_dates_are_readable_in_order_and_on_their_day():
    for day in days(30):
        records = sandbox_activity("t@example.com", "email", day, events_per_day=12)
        times = [parse_activity_date(r["activity_date"], ZoneInfo("UTC")) for r in records]
        assert times == sorted(times)
        assert {t.date() for t in times} <= {day}


def test_hostile_names_and_links_can_be_chosen(start_sandbox, api_key):
    names = ["<script>alert(1)</script><b>x</b>"]
    links = ["<img src=http://127.0.0.1:9/x>"]
    sandbox = start_sandbox(message_names=names, links=links, events_per_day=30)

    records = post(sandbox, api_key).json()["result"]["channel_activity"]

    assert {r["msg_name"] for r in records} == set(names)
    assert {r["link"] for r in records if "link" in r} == set(links)


def faults_by_request(sandbox) -> dict[str, list]:
    seen: dict[str, list] = {}
    for request in sorted(sandbox.requests, key=lambda r: r.at):
        seen.setdefault(request.form["data"][0], []).append(request.fault)
    return seen


def test_faults_are_reproducible_whatever_the_order_and_concurrency(start_sandbox, api_key):
    options = {
        "seed": 11,
        "error_rate": 0.3,
        "throttle_rate": 0.2,
        "truncate_rate": 0.2,
        "retry_after": "0",
    }
    windows = [{"from_date": f"{d:02d}012025", "to_date": f"{d:02d}012025"} for d in range(1, 21)]

    def hammer(sandbox, order) -> dict[str, list]:
        with ThreadPoolExecutor(8) as pool:
            for _ in range(3):
                list(pool.map(lambda w: _quiet_post(sandbox, api_key, w), order))
        return faults_by_request(sandbox)

    forward = hammer(start_sandbox(**options), windows)
    backward = hammer(start_sandbox(**options), windows[::-1])

    assert forward == backward
    assert {f for faults in forward.values() for f in faults} >= {"error", "throttle", "truncate"}


def _quiet_post(sandbox, api_key, window) -> None:
    with contextlib.suppress(requests.RequestException):  # truncated answers
        post(sandbox, api_key, data=window)


def test_a_request_retried_enough_gets_through(start_sandbox, api_key):
    sandbox = start_sandbox(error_rate=1.0, max_faults_per_request=3)

    statuses = [post(sandbox, api_key).status_code for _ in range(5)]

    assert statuses == [500, 500, 500, 200, 200]


def test_many_concurrent_requests_are_served(start_sandbox, api_key):
    sandbox = start_sandbox(latency_ms=50)

    with ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(lambda _: post(sandbox, api_key).status_code, range(128)))

    assert statuses == [200] * 128
