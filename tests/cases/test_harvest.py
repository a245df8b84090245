"""Harvest, run in-process against the sandbox over real HTTP (no broker)."""

import threading
import time
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from cases.harvest import dispatch, planning, watchdog
from cases.harvest.dispatch import queue_here
from cases.harvest.window import claim_window, harvest_window, store_window
from cases.models import ActivityEvent, AuditAction, HarvestWindow, WindowFailure, WindowStatus
from cases.services import CaseRuleError
from dsar_portal.celery import app
from netcore.client import NetcoreClient
from netcore.ratelimit import RedisRateLimiter
from netcore.records import record_from_raw
from netcore.sandbox import Sandbox
from tests.factories import make_case
from tests.harvest_fixtures import (
    SANDBOX_KEY,
    d,
    event_counts,
    expected_counts,
    sandbox_account,
)

# Windows run on threads with their own connections: they must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

FAST_RETRIES = override_settings(
    NETCORE_BACKOFF_INITIAL=0.01, NETCORE_BACKOFF_MAX=0.05, NETCORE_MAX_ATTEMPTS=8
)


@pytest.fixture
def sandbox():
    with Sandbox(api_key=SANDBOX_KEY, seed=7, events_per_day=3) as running:
        yield running


def two_month_case(officer, **extra):
    return make_case(
        actor=officer,
        primary_keys=["ana@example.com", "CUST-42"],
        channels=["email", "sms"],
        search_from=d("2025-01-01"),
        search_to=d("2025-02-28"),
        **extra,
    )


def run_sync(case, *args) -> str:
    out = StringIO()
    call_command("harvest", case.reference, "--sync", *args, stdout=out)
    return out.getvalue()


def test_plan_has_one_window_per_slice(officer, sandbox):
    sandbox_account(sandbox)
    sandbox_account(sandbox, name="EU", window_days=5)
    case = two_month_case(officer)
    windows = planning.harvest_start(case=case, actor=officer, enqueue=False)
    # 59 days: 9 windows of ≤7 days, 12 of ≤5 days; × 2 keys × 2 channels.
    assert len(windows) == (9 + 12) * 4
    case.refresh_from_db()
    assert case.status == "collecting"
    entry = case.audit_entries.last()
    assert entry.action == AuditAction.COLLECTION_STARTED
    assert entry.details["windows_per_channel"] == {"email": 42, "sms": 42}


def test_sync_harvest_stores_every_event_exactly(officer, sandbox):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    out = run_sync(case)
    case.refresh_from_db()
    assert case.status == "collected"
    expected = expected_counts(sandbox, case)
    assert event_counts(case) == expected
    assert f"email: {expected['email']} events" in out
    assert "windows: 36 done of 36" in out
    finished = case.audit_entries.filter(action=AuditAction.COLLECTION_FINISHED)
    assert finished.count() == 1
    assert finished.get().details["events_per_channel"] == expected


def test_events_keep_every_field_and_identical_records(officer, sandbox):
    sandbox_account(sandbox, timezone="Asia/Kolkata")
    case = two_month_case(officer)
    run_sync(case)
    window = case.windows.get(primary_key="ana@example.com", channel="email", start=d("2025-01-01"))
    served = sandbox.expected_activity("ana@example.com", "email", window.start, window.end)
    stored = list(window.events.order_by("position"))
    assert [e.raw for e in stored] == served
    first = stored[0]
    assert first.activity == served[0]["activity"]
    assert first.message_id == str(served[0]["message_id"])
    assert first.occurred_at.utcoffset() == timedelta(0)  # stored in UTC...
    assert first.activity_date_raw == served[0]["activity_date"]
    # ...from a time read in the account's timezone (India is UTC+5:30).
    local = first.occurred_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert local.strftime("%-d %b %Y @%-I:%M").lower() in served[0]["activity_date"].lower()


def test_identical_records_in_one_window_are_distinct_events(officer, sandbox):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    run_sync(case)
    duplicates = 0
    for window in case.windows.all():
        raws = [str(sorted(e.raw.items())) for e in window.events.all()]
        duplicates += len(raws) - len(set(raws))
    assert duplicates > 0  # the sandbox serves some; none were merged


@FAST_RETRIES
def test_faults_are_retried_and_counts_stay_exact(officer):
    with Sandbox(
        api_key=SANDBOX_KEY,
        seed=3,
        events_per_day=3,
        error_rate=0.3,
        throttle_rate=0.1,
        truncate_rate=0.1,
        retry_after="0",
    ) as sandbox:
        sandbox_account(sandbox)
        case = two_month_case(officer)
        run_sync(case, "--concurrency", "8")
        assert len(sandbox.requests) > 36  # faults were served and retried
    case.refresh_from_db()
    assert case.status == "collected"
    assert event_counts(case) == expected_counts(sandbox, case)


@override_settings(NETCORE_MAX_ATTEMPTS=1)
def test_failed_windows_are_visible_and_retryable(officer):
    with Sandbox(
        api_key=SANDBOX_KEY, seed=5, events_per_day=2, error_rate=0.5, max_faults_per_request=1
    ) as sandbox:
        sandbox_account(sandbox)
        case = two_month_case(officer)
        with pytest.raises(CommandError, match="windows failed"):
            run_sync(case)
        case.refresh_from_db()
        assert case.status == "collection_incomplete"
        failed = case.windows.filter(status=WindowStatus.FAILED)
        assert failed.exists()
        assert all(w.last_error.startswith("ServerError: ") for w in failed)
        finished = case.audit_entries.get(action=AuditAction.COLLECTION_FINISHED)
        assert len(finished.details["failed_windows"]) == failed.count()
        # The sandbox lets a request through after one fault: retrying completes the case.
        out = run_sync(case)
    case.refresh_from_db()
    assert case.status == "collected", out
    assert event_counts(case) == expected_counts(sandbox, case)
    assert case.audit_entries.filter(action=AuditAction.COLLECTION_RETRIED).count() == 1


def test_bad_api_key_fails_windows_without_retrying(officer, sandbox):
    account = sandbox_account(sandbox)
    account.api_key = "a-wrong-key-000"
    account.save()
    case = make_case(
        actor=officer, channels=["sms"], search_from=d("2025-01-01"), search_to=d("2025-01-07")
    )
    with pytest.raises(CommandError):
        run_sync(case)
    window = case.windows.get()
    assert window.status == WindowStatus.FAILED
    assert window.last_error.startswith("BadApiKey")
    assert "a-wrong-key-000" not in window.last_error
    assert len(sandbox.requests) == 1


def test_rerun_and_recollect_never_double_count(officer, sandbox):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    run_sync(case)
    expected = expected_counts(sandbox, case)
    window = case.windows.first()
    assert harvest_window(window.pk) == "skipped"  # done windows are not taken again
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    run_sync(case)
    case.refresh_from_db()
    assert case.status == "collected"
    assert event_counts(case) == expected
    assert case.windows.count() == 36


def test_a_superseded_claim_cannot_store(officer, sandbox):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    window_id = case.windows.first().pk
    HarvestWindow.objects.filter(pk=window_id).update(status=WindowStatus.QUEUED)
    first = claim_window(window_id)
    assert claim_window(window_id) is None  # already running
    # The watchdog decides the first worker is dead: the window goes back to the dispatcher.
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 1
    HarvestWindow.objects.filter(pk=window_id).update(status=WindowStatus.QUEUED)
    second = claim_window(window_id)
    assert second.attempts == first.attempts + 1
    assert second.tries == 2
    records = [
        record_from_raw(raw, ZoneInfo("UTC"))[0]
        for raw in sandbox.expected_activity(
            first.primary_key, first.channel, first.start, first.end
        )
    ]
    assert store_window(first, records, []) is False
    assert ActivityEvent.objects.filter(window_id=window_id).count() == 0
    assert store_window(second, records, []) is True
    assert ActivityEvent.objects.filter(window_id=window_id).count() == len(records)
    assert HarvestWindow.objects.get(pk=window_id).status == WindowStatus.DONE


def test_collection_needs_an_active_account(officer):
    case = make_case(actor=officer)
    with pytest.raises(CaseRuleError, match="No active Netcore account"):
        planning.harvest_start(case=case, actor=officer)
    case.refresh_from_db()
    assert case.status == "received"


def one_window_case(officer):
    return make_case(
        actor=officer, channels=["sms"], search_from=d("2025-01-01"), search_to=d("2025-01-07")
    )


def test_only_a_queued_window_of_a_collecting_case_is_claimed(officer, sandbox):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    first, second = case.windows.order_by("pk")[:2]
    assert claim_window(first.pk) is None  # planned, not dispatched yet
    queue_here(case.pk)
    HarvestWindow.objects.filter(pk=second.pk).update(status=WindowStatus.FAILED)
    assert claim_window(second.pk) is None  # only the officer's retry takes a failed window back
    case.status = "collection_incomplete"
    case.save(update_fields=["status"])
    assert claim_window(first.pk) is None  # the case has moved on
    assert HarvestWindow.objects.get(pk=first.pk).attempts == 0
    case.status = "collecting"
    case.save(update_fields=["status"])
    assert claim_window(first.pk).tries == 1


@override_settings(NETCORE_RATE_LIMITER_MAX_WAIT=0.2, HARVEST_MAX_ATTEMPTS=3)
def test_our_own_faults_are_tried_again_then_fail_with_their_cause(officer, private_redis):
    with Sandbox(api_key=SANDBOX_KEY, seed=9, events_per_day=2) as sandbox:
        sandbox_account(sandbox)
        case = one_window_case(officer)
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        limiter = RedisRateLimiter(private_redis.url)
        private_redis.stop()
        outcomes = []
        while window_ids := queue_here(case.pk):
            for window_id in window_ids:
                outcomes.append(
                    harvest_window(
                        window_id,
                        client_for=lambda account: NetcoreClient(account, rate_limiter=limiter),
                        dispatch=False,
                    )
                )
        assert outcomes == ["retry", "retry", "failed"]
        window = case.windows.get()
        assert (window.status, window.failure, window.tries) == ("failed", "rate_limiter", 3)
        assert window.last_error.startswith("RateLimiterUnavailable: rate limiter (Redis)")
        assert window.last_error.endswith("(after 3 tries)")
        assert sandbox.requests == []  # Netcore was never asked, let alone retried
        case.refresh_from_db()
        assert case.status == "collection_incomplete"
        finished = case.audit_entries.get(action=AuditAction.COLLECTION_FINISHED)
        assert finished.details["failed_windows"][0]["cause"] == window.last_error
        # The officer's retry starts the count again.
        private_redis.start()
        run_sync(case)
        window.refresh_from_db()
        assert (window.status, window.tries, window.failure) == ("done", 1, "")
        assert case.audit_entries.filter(action=AuditAction.COLLECTION_RETRIED).count() == 1


@override_settings(HARVEST_WINDOW_SOFT_TIME_LIMIT=2)
def test_a_window_stops_at_its_soft_time_limit_without_celery(officer):
    """A thread pool does not enforce Celery's time limits: the window's own deadline does."""
    with Sandbox(api_key=SANDBOX_KEY, seed=9, latency_ms=6000) as sandbox:
        sandbox_account(sandbox)
        case = one_window_case(officer)
        began = time.monotonic()
        with pytest.raises(CommandError, match="1 windows failed"):
            run_sync(case)
        elapsed = time.monotonic() - began
    assert elapsed < 4
    window = case.windows.get()
    assert window.failure == WindowFailure.TIMED_OUT
    assert window.last_error.startswith("RequestTimeout")


@override_settings(HARVEST_MAX_ATTEMPTS=2)
def test_a_window_whose_worker_dies_at_every_try_fails(officer, sandbox, own_queue):
    sandbox_account(sandbox)
    case = one_window_case(officer)
    planning.harvest_start(case=case, actor=officer, enqueue=False)
    (window_id,) = queue_here(case.pk)
    claim_window(window_id)
    # Its worker died: the claim goes stale, and the window is queued again.
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 1
    window = HarvestWindow.objects.get(pk=window_id)
    assert (window.status, window.failure) == ("queued", "worker_lost")
    claim_window(window_id)
    # Its second worker died too: that was its last try.
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 1
    window.refresh_from_db()
    assert (window.status, window.failure, window.tries) == ("failed", "worker_lost", 2)
    assert window.last_error == "its worker stopped answering during each of its 2 tries"
    case.refresh_from_db()
    assert case.status == "collection_incomplete"
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 0  # and it stays failed


@override_settings(HARVEST_QUEUED_WINDOWS=4)
def test_the_watchdog_leaves_waiting_windows_alone_and_replaces_lost_ones(
    officer, sandbox, own_queue
):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    planning.harvest_start(case=case, actor=officer)
    queued = set(case.windows.filter(status=WindowStatus.QUEUED).values_list("pk", "queued_at"))
    assert len(queued) == 4
    assert dispatch.messages_waiting() == 4
    # Waiting longer than the stale time is no sign of a lost message while messages wait.
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 0
    assert set(case.windows.filter(status=WindowStatus.QUEUED).values_list("pk", "queued_at")) == (
        queued
    )
    assert dispatch.messages_waiting() == 4
    # The broker lost them (a worker killed with them in hand): they are queued again.
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(own_queue)
    assert watchdog.requeue_stale_windows(older_than=timedelta(0)) == 4
    assert dispatch.messages_waiting() == 4
    assert case.windows.filter(status=WindowStatus.QUEUED).count() == 4


@override_settings(HARVEST_QUEUED_WINDOWS=4)
def test_the_dispatcher_serves_a_case_started_later_first(officer, sandbox, own_queue):
    sandbox_account(sandbox)
    big = two_month_case(officer)  # 36 windows
    planning.harvest_start(case=big, actor=officer)

    def claim_queued(count: int) -> None:
        """Workers take the oldest queued windows; each claim frees a place."""
        queued = HarvestWindow.objects.filter(status=WindowStatus.QUEUED)
        for _ in range(count):
            claim_window(queued.order_by("queued_at", "pk").first().pk)
            dispatch.dispatch_windows()

    claim_queued(8)
    assert big.windows.filter(status=WindowStatus.QUEUED).count() == 4
    small = make_case(
        actor=officer,
        primary_keys=["bo@example.com"],
        channels=["email"],
        search_from=d("2025-01-01"),
        search_to=d("2025-01-21"),
    )
    planning.harvest_start(case=small, actor=officer)
    assert small.windows.filter(status=WindowStatus.QUEUED).count() == 0  # the queue is full
    claim_queued(3)
    # Every place freed went to the newcomer: it had had none lately.
    assert small.windows.filter(status=WindowStatus.QUEUED).count() == 3
    assert HarvestWindow.objects.filter(status=WindowStatus.QUEUED).count() == 4
    assert dispatch.messages_waiting() == 4 + 8 + 3
    claim_queued(4)
    # Its three windows are all out; the big case has every place again.
    assert small.windows.filter(status=WindowStatus.PENDING).count() == 0
    assert big.windows.filter(status=WindowStatus.QUEUED).count() == 4


@override_settings(HARVEST_QUEUED_WINDOWS=4)
def test_a_claim_leaves_dispatching_to_a_dispatcher_at_work_unless_the_queue_is_dry(
    postgres, officer, sandbox, own_queue
):
    sandbox_account(sandbox)
    case = two_month_case(officer)
    planning.harvest_start(case=case, actor=officer)
    queued = list(case.windows.filter(status=WindowStatus.QUEUED).values_list("pk", flat=True))
    held, release = threading.Event(), threading.Event()

    def another_dispatcher() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [dispatch.DISPATCH_LOCK_KEY])
            held.set()
            release.wait(5)
        connection.close()

    thread = threading.Thread(target=another_dispatcher)
    thread.start()
    held.wait(5)
    try:
        for window_id in queued[:2]:
            claim_window(window_id)
        assert dispatch.dispatch_when_low() == 0  # half the places are free: it leaves them
        for window_id in queued[2:]:
            claim_window(window_id)
        threading.Timer(0.5, release.set).start()
        began = time.monotonic()
        assert dispatch.dispatch_when_low() == 4  # the queue is dry: it waits, then fills it
        assert time.monotonic() - began >= 0.4
    finally:
        release.set()
        thread.join()
