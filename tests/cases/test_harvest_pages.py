"""The collection panel, live progress data and the events listing on the case page."""

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import (
    claim_window,
    fail_window,
    harvest_finish_if_complete,
    harvest_window,
    netcore_failure,
)
from cases.models import ActivityEvent, Case, HarvestWindow, WindowFailure, WindowStatus
from netcore import errors
from netcore.models import NetcoreAccount
from netcore.sandbox import Sandbox
from netcore.services import account_create
from tests.factories import make_case, make_collected_case, make_window
from tests.harvest_fixtures import SANDBOX_KEY, d, sandbox_account


@pytest.fixture
def sandbox():
    with Sandbox(api_key=SANDBOX_KEY, seed=11, events_per_day=2) as running:
        yield running


def small_case(officer):
    return make_case(
        actor=officer,
        channels=["email", "sms"],
        search_from=d("2025-03-01"),
        search_to=d("2025-03-14"),
    )


def test_start_collection_from_the_page_queues_windows(officer_client, officer, sandbox):
    sandbox_account(sandbox)
    case = small_case(officer)
    response = officer_client.post(reverse("cases:collect", args=[case.reference]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "collecting"
    assert case.windows.count() == 4
    progress = officer_client.get(reverse("cases:progress", args=[case.reference])).json()
    assert progress == {
        "status": "collecting",
        "status_label": "Collecting",
        "collecting": True,
        "total": 4,
        "done": 0,
        "finished": 0,
        "percent": 0,
        "events_per_channel": {"email": 0, "sms": 0},
        "failed_count": 0,
        "failed_page": 1,
        "failed_pages": 1,
        "failed": [],
    }


def test_start_without_accounts_says_why(officer_client, officer):
    case = small_case(officer)
    response = officer_client.post(reverse("cases:collect", args=[case.reference]))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:data", args=[case.reference]) + "#collection"
    assert "No active Netcore account" in officer_client.get(response["Location"]).content.decode()


def test_progress_and_failed_windows_with_retry(officer_client, officer, sandbox):
    sandbox_account(sandbox)
    case = small_case(officer)
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    *done, last = queue_here(case.pk)
    for window_id in done:
        harvest_window(window_id, dispatch=False)
    cause = "ServerError: HTTP 500 <b>from</b> Netcore"
    fail_window(claim_window(last), WindowFailure.NETCORE_DOWN, cause)
    harvest_finish_if_complete(case.pk)
    data = officer_client.get(reverse("cases:progress", args=[case.reference])).json()
    assert data["status"] == "collection_incomplete" and data["percent"] == 100
    assert data["failed"][0]["failure"] == "Netcore unavailable"
    assert data["failed"][0]["next_step"].startswith("Netcore answered with an error")
    assert "detail" not in data["failed"][0]  # the raw cause is for admins
    page = officer_client.get(reverse("cases:data", args=[case.reference])).content.decode()
    assert "<strong>Netcore unavailable.</strong> Netcore answered with an error" in page
    assert "HTTP 500" not in page
    assert "Retry failed windows" in page
    officer_client.post(reverse("cases:retry_failed", args=[case.reference]))
    case.refresh_from_db()
    assert case.status == "collecting"
    assert HarvestWindow.objects.get(pk=last).status == WindowStatus.PENDING


def test_progress_needs_officer_rights(client, outsider, officer):
    case = small_case(officer)
    url = reverse("cases:progress", args=[case.reference])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def bulk_events(case, window, n: int, start=datetime(2024, 1, 1, tzinfo=UTC)):
    activities = ["sent", "open", "click", "delivered"]
    ActivityEvent.objects.bulk_create(
        (
            ActivityEvent(
                case=case,
                window=window,
                position=i,
                channel=window.channel,
                activity=activities[i % 4],
                occurred_at=start + timedelta(minutes=i),
                activity_date_raw="x",
                message_id=str(i % 50),
                message_name=f"Message {i % 50}",
                raw={"activity": activities[i % 4]},
            )
            for i in range(n)
        ),
        batch_size=5000,
    )


def test_events_are_listed_in_time_order_with_filters_and_counts(officer_client, officer, sandbox):
    account = sandbox_account(sandbox)
    case = small_case(officer)
    window = HarvestWindow.objects.create(
        case=case,
        account=account,
        primary_key="k",
        channel="email",
        start=d("2025-03-01"),
        end=d("2025-03-07"),
        status=WindowStatus.DONE,
    )
    bulk_events(case, window, 250)
    ActivityEvent.objects.create(
        case=case,
        window=window,
        position=9999,
        channel="email",
        activity="<script>x</script>",
        occurred_at=None,
        activity_date_raw="31 Feb 2025 @9:99pm",
        message_name="<b>hi</b>",
        link="http://evil.example/<x>",
    )
    data_url = reverse("cases:data", args=[case.reference])
    response = officer_client.get(data_url)
    html = response.content.decode()
    events = response.context["events"]
    assert events["total"] == 251
    assert events["per_channel"] == {"email": 251}
    first_page = list(events["page"].object_list)
    assert [e.position for e in first_page] == list(range(100))
    assert "&lt;script&gt;x&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "<script>x</script>" not in html
    last = officer_client.get(data_url, {"events_page": 3})
    assert [e.position for e in last.context["events"]["page"].object_list][-1] == 9999
    assert "31 Feb 2025 @9:99pm" in last.content.decode()
    assert 'href="http://evil.example' not in last.content.decode()
    response = officer_client.get(data_url, {"activity": "click"})
    clicks = response.context["events"]
    assert {e.activity for e in clicks["page"].object_list} == {"click"}
    assert clicks["page"].paginator.count == 62
    # The counts follow the filter, and the activity reads in plain words.
    assert (clicks["matching"], clicks["total"]) == (62, 251)
    assert "(62 of 251)" in response.content.decode()
    assert [(a, n) for _ch, a, _label, n in clicks["counts"]] == [("click", 62)]
    assert "Link followed" in response.content.decode()
    # No match: said so, with a way back to every event.
    empty = officer_client.get(data_url, {"activity": "click", "channel": "sms"})
    assert "No events match these filters" in empty.content.decode()
    assert "(0 of 251)" in empty.content.decode()
    assert 'href="?#events">Clear the filters' in empty.content.decode()


@pytest.mark.django_db
def test_case_page_fast_with_100k_events(officer_client, officer, sandbox):
    account = sandbox_account(sandbox)
    case = small_case(officer)
    window = HarvestWindow.objects.create(
        case=case,
        account=account,
        primary_key="k",
        channel="email",
        start=d("2025-03-01"),
        end=d("2025-03-07"),
        status=WindowStatus.DONE,
        event_count=100_000,
    )
    bulk_events(case, window, 100_000)
    with CaptureQueriesContext(connection) as queries:
        response = officer_client.get(
            reverse("cases:data", args=[case.reference]), {"events_page": 500, "channel": "email"}
        )
    assert response.status_code == 200
    assert response.context["events"]["total"] == 100_000
    assert len(response.context["events"]["page"].object_list) == 100
    # 25, plus the audit entry that records this showing of the events and the session save
    # that keeps the inactivity timer running.
    assert len(queries) <= 31, [q["sql"] for q in queries]


def cases_queries(client, url: str, **params) -> list[str]:
    """The queries a GET of `url` runs on the cases app's tables (sign-in and session aside)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return [query["sql"] for query in captured if '"cases_' in query["sql"]]


def test_progress_reads_the_case_and_one_row_of_counts(officer_client, officer, sandbox):
    sandbox_account(sandbox)
    case = small_case(officer)
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    url = reverse("cases:progress", args=[case.reference])
    case_row, counts = cases_queries(officer_client, url)
    assert 'FROM "cases_case"' in case_row
    assert counts.count("COUNT(") >= 4 and "SUM(" in counts
    # Failed windows are listed, with their accounts, in one more query.
    (window_id, *_) = queue_here(case.pk)
    fail_window(claim_window(window_id), WindowFailure.NETCORE, "ServerError: HTTP 500")
    *_, failed = cases_queries(officer_client, url)
    assert 'INNER JOIN "netcore_netcoreaccount"' in failed


def test_the_case_page_costs_the_same_whatever_the_collection(officer_client, officer):
    few = make_collected_case(actor=officer, events=2, failed_windows=1)
    many = make_collected_case(actor=officer, events=300, failed_windows=8)
    for week in range(20):
        make_window(many, start=d("2024-01-01") + timedelta(weeks=week))
    for name in ("cases:detail", "cases:data", "cases:progress"):
        assert len(cases_queries(officer_client, reverse(name, args=[few.reference]))) == len(
            cases_queries(officer_client, reverse(name, args=[many.reference]))
        ), name
    # The events shown are counted once, by channel and activity, for the filters and the pages.
    data = reverse("cases:data", args=[many.reference])
    queries = cases_queries(officer_client, data, activity="open")
    counting = [q for q in queries if "COUNT(" in q and '"cases_activityevent"' in q]
    assert len(counting) == 1 and "GROUP BY" in counting[0]


def collect_with(account, officer) -> Case:
    """A one-window case collected from `account` at once, its window failing or not."""
    case = make_case(
        actor=officer, channels=["sms"], search_from=d("2025-01-01"), search_to=d("2025-01-07")
    )
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    for window_id in queue_here(case.pk):
        harvest_window(window_id, dispatch=False)
    return case


@pytest.mark.parametrize(
    ("make_account", "failure", "label", "step", "raw"),
    [
        (
            lambda sandbox: account_create(
                name="Wrong key", base_url=sandbox.url, api_key="not-the-key-0123456789"
            ),
            "key_refused",
            "Key or address refused",
            "checks the account's API key",
            "BadApiKey",
        ),
        (
            lambda sandbox: account_create(
                name="Nowhere", base_url="http://127.0.0.1:9", api_key=SANDBOX_KEY
            ),
            "unreachable",
            "Netcore unreachable",
            "Netcore could not be reached",
            "ConnectionFailed",
        ),
    ],
)
def test_a_failed_window_says_what_happened_and_what_to_do(
    make_account, failure, label, step, raw, sandbox, officer, officer_client, admin_client
):
    make_account(sandbox)
    case = collect_with(NetcoreAccount.objects.get(), officer)
    window = case.windows.get()
    assert (window.status, window.failure) == ("failed", failure)
    assert window.last_error.startswith(raw)
    data_url = reverse("cases:data", args=[case.reference])

    page = officer_client.get(data_url).content.decode()
    assert f"<strong>{label}.</strong>" in page and escape(step) in page
    assert raw not in page and "Technical detail" not in page
    assert officer_client.get(reverse("cases:trail", args=[case.reference])).status_code == 200
    trail = officer_client.get(reverse("cases:trail", args=[case.reference])).content.decode()
    assert label in trail and raw not in trail

    page = admin_client.get(data_url).content.decode()
    assert f"<strong>{label}.</strong>" in page
    assert "<details><summary>Technical detail</summary><code>" + raw in page
    progress = admin_client.get(reverse("cases:progress", args=[case.reference])).json()
    assert progress["failed"][0]["detail"].startswith(raw)


def test_every_netcore_error_has_a_class_an_officer_can_act_on():
    bases = {errors.NetcoreError, errors.TransientError, errors.PermanentError}
    # Our own rate limiter's outage is given back, not failed (cases/harvest/window.py).
    ours = {errors.RateLimiterUnavailable}
    concrete = [
        cls
        for _name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.NetcoreError) and cls not in bases | ours
    ]
    assert len(concrete) >= 11
    for cls in concrete:
        failure = netcore_failure(cls.__new__(cls))
        assert failure != WindowFailure.NETCORE, cls.__name__
        assert HarvestWindow(failure=failure).next_step, cls.__name__
