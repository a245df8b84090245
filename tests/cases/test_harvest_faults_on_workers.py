"""Faults of our own parts, on real worker processes: each of these once made a collection loop,
run twice, stall or fail.

- the workers' idle database connections are terminated: the next collection runs as usual;
- the Redis of the broker and the rate limiter stops and starts again: requests wait (their
  claims kept alive), nothing fails, no Netcore attempt is spent;
- windows queued first come, first served: the watchdog still runs at once, on its own queue,
  and takes none of the waiting windows back;
- a window slower than the stale time: claimed once, fetched once;
- a late duplicate message for a failed window of a finished case: nothing fetched or stored;
- storing a window's events fails: it fails after HARVEST_MAX_ATTEMPTS tries, with its cause.
"""

import json
import time

import pytest
from django.db import connection
from django.utils import timezone

from cases.harvest import planning, watchdog
from cases.harvest.dispatch import dispatch_windows, queue_here
from cases.harvest.watchdog import harvest_watchdog_task
from cases.harvest.window import harvest_window_task
from cases.models import AuditAction, WindowFailure, WindowStatus
from netcore.sandbox import Sandbox
from tests.harvest_fixtures import (
    SANDBOX_KEY,
    assert_exact,
    case_over,
    collection_over,
    sandbox_account,
    wait_for,
)

pytestmark = [pytest.mark.xdist_group("celery")]


def task_result(worker, task_id: str) -> str | None:
    """What the task returned, as the worker logged it, once it has finished."""
    for line in worker.log.read_text(errors="replace").splitlines():
        if f"{task_id}] succeeded" in line:
            return json.loads(line)["message"].rpartition(": ")[2]
    return None


def test_workers_recover_from_terminated_database_connections(postgres, celery_workers, officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=31, events_per_day=2, latency_ms=50) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(concurrency=4)
        first = case_over(officer, 56)  # 16 windows: each worker thread opens its connection
        planning.harvest_start(case=first, actor=officer)
        wait_for(lambda: collection_over(first), timeout=60)
        assert_exact(first, sandbox)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (terminated,) = cursor.fetchone()
        assert terminated >= 2
        second = case_over(officer, 56, keys=("bo@example.com",))
        planning.harvest_start(case=second, actor=officer)
        wait_for(lambda: collection_over(second), timeout=30)
    assert_exact(second, sandbox)


def test_a_redis_outage_delays_requests_and_fails_nothing(private_redis, celery_workers, officer):
    env = {
        "REDIS_URL": private_redis.url,
        "NETCORE_MAX_ATTEMPTS": "2",
        "NETCORE_BACKOFF_INITIAL": "1",
        "NETCORE_BACKOFF_MAX": "2",
        "HARVEST_HEARTBEAT_SECONDS": "0.3",
        "HARVEST_STALE_AFTER_SECONDS": "1",
    }
    # Each request fails once (HTTP 500) and gets through when tried again, a second later.
    with Sandbox(
        api_key=SANDBOX_KEY, seed=32, events_per_day=2, error_rate=1.0, max_faults_per_request=1
    ) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(concurrency=4, env=env)
        case = case_over(officer, 28)  # eight windows
        celery_workers.manage("harvest", case.reference, env=env)  # queued through that Redis
        running = case.windows.filter(status=WindowStatus.RUNNING)
        wait_for(
            lambda: len(sandbox.requests) >= 4 and running.count() == 4, timeout=30, every=0.02
        )
        # The first four windows' second attempts ask the rate limiter while Redis is away.
        private_redis.stop()
        stopped = timezone.now()
        time.sleep(3)  # the outage
        waiting = list(
            case.windows.filter(status=WindowStatus.RUNNING).values_list("heartbeat_at", flat=True)
        )
        private_redis.start()
        wait_for(lambda: collection_over(case), timeout=60)
        requests = len(sandbox.requests)
    # They waited, their claims renewed all along.
    assert len(waiting) == 4
    assert all(beat > stopped for beat in waiting)
    assert_exact(case, sandbox)
    # Two requests a window (the fault, then success): none lost to our outage, nor a second try.
    assert requests == 2 * case.windows.count()
    assert set(case.windows.values_list("tries", flat=True)) == {1}


def test_the_watchdog_runs_at_once_and_leaves_waiting_windows_alone(celery_workers, officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=33, events_per_day=1, latency_ms=400) as sandbox:
        sandbox_account(sandbox)
        worker = celery_workers.start(
            concurrency=2,
            env={"HARVEST_STALE_AFTER_SECONDS": "1", "HARVEST_HEARTBEAT_SECONDS": "0.2"},
        )
        case = case_over(officer, 140)  # 40 windows: a backlog of eight seconds on two threads
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        # Queued first come, first served, as collections used to be.
        for window_id in queue_here(case.pk):
            harvest_window_task.delay(window_id)
        wait_for(lambda: case.windows.filter(status=WindowStatus.DONE).count() >= 2, timeout=30)
        time.sleep(1)  # the waiting windows are now older than the stale time
        sent = harvest_watchdog_task.delay()
        wait_for(lambda: task_result(worker, sent.id), timeout=3, every=0.05)
        still_waiting = case.windows.filter(status=WindowStatus.QUEUED).count()
        wait_for(lambda: collection_over(case), timeout=60)
        requests = len(sandbox.requests)
    assert still_waiting >= 20  # it ran long before the backlog drained
    assert task_result(worker, sent.id) == "0"  # and took nothing back
    assert_exact(case, sandbox)
    assert requests == case.windows.count()
    assert "'skipped'" not in worker.log.read_text()  # no duplicate message was sent


def test_a_slow_window_is_claimed_and_fetched_once(celery_workers, officer, settings):
    settings.HARVEST_STALE_AFTER_SECONDS = 1.5
    with Sandbox(api_key=SANDBOX_KEY, seed=34, events_per_day=2, latency_ms=4000) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(
            env={"HARVEST_STALE_AFTER_SECONDS": "1.5", "HARVEST_HEARTBEAT_SECONDS": "0.3"}
        )
        case = case_over(officer, 7)  # two windows, four seconds each
        planning.harvest_start(case=case, actor=officer)
        # The watchdog looks every 0.3 s, far more often than the windows take.
        wait_for(
            lambda: collection_over(case),
            timeout=30,
            every=0.3,
            on_tick=watchdog.requeue_stale_windows,
        )
        requests = len(sandbox.requests)
    assert_exact(case, sandbox)
    assert requests == 2
    assert set(case.windows.values_list("attempts", flat=True)) == {1}


def test_a_late_duplicate_for_a_failed_window_of_a_finished_case_does_nothing(
    celery_workers, officer
):
    with Sandbox(
        api_key=SANDBOX_KEY, seed=26, events_per_day=2, error_rate=0.4, max_faults_per_request=1
    ) as sandbox:
        sandbox_account(sandbox)
        worker = celery_workers.start(env={"NETCORE_MAX_ATTEMPTS": "1"})
        case = case_over(officer, 70)
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=60)
        case.refresh_from_db()
        assert case.status == "collection_incomplete"
        failed = case.windows.filter(status=WindowStatus.FAILED).first()
        requests, entries = len(sandbox.requests), case.audit_entries.count()
        sent = harvest_window_task.delay(failed.pk)
        wait_for(lambda: task_result(worker, sent.id), timeout=20, every=0.05)
        assert task_result(worker, sent.id) == "'skipped'"
        assert len(sandbox.requests) == requests  # nothing fetched
        failed.refresh_from_db()
        assert failed.status == WindowStatus.FAILED and not failed.events.exists()
        case.refresh_from_db()
        assert case.status == "collection_incomplete"
        assert case.audit_entries.count() == entries
        # The officer's retry still finds it, and completes the case.
        planning.harvest_retry_failed(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=60)
    assert_exact(case, sandbox)


def test_a_window_whose_events_cannot_be_stored_fails_after_its_tries(
    postgres, celery_workers, officer
):
    with Sandbox(api_key=SANDBOX_KEY, seed=35, events_per_day=2) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(env={"HARVEST_MAX_ATTEMPTS": "3"})
        case = case_over(officer, 14)  # four windows
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        broken = case.windows.order_by("pk").first()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_events BEFORE INSERT ON cases_activityevent FOR EACH ROW "
                f"WHEN (NEW.window_id = {broken.pk}) EXECUTE FUNCTION refuse_events()"
            )
        try:
            dispatch_windows()
            wait_for(lambda: collection_over(case), timeout=60)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER refuse_events ON cases_activityevent")
                cursor.execute("DROP FUNCTION refuse_events()")
        asked = [
            request
            for request in sandbox.requests
            if json.loads(request.form["data"][0])
            == {
                "primary_key": broken.primary_key,
                "channel": broken.channel,
                "from_date": f"{broken.start:%d%m%Y}",
                "to_date": f"{broken.end:%d%m%Y}",
            }
        ]
    case.refresh_from_db()
    assert case.status == "collection_incomplete"
    broken.refresh_from_db()
    assert broken.status == WindowStatus.FAILED
    assert broken.failure == WindowFailure.DATABASE
    assert "no space left on device" in broken.last_error and "after 3 tries" in broken.last_error
    assert broken.tries == 3 and not broken.events.exists()
    assert len(asked) == 3  # one request a try
    finished = case.audit_entries.get(action=AuditAction.COLLECTION_FINISHED)
    assert [f["cause"] for f in finished.details["failed_windows"]] == [broken.last_error]
    assert case.windows.filter(status=WindowStatus.DONE).count() == 3
