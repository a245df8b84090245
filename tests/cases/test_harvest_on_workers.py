"""Harvests run by real Celery worker processes: end to end, under faults, through a SIGKILL."""

from datetime import timedelta

import pytest

from cases.harvest import planning, watchdog
from cases.models import ActivityEvent, WindowStatus
from netcore.sandbox import Sandbox
from tests.harvest_fixtures import (
    SANDBOX_KEY,
    assert_exact,
    case_over,
    collection_over,
    expected_counts,
    sandbox_account,
    wait_for,
)
from tests.netcore.conftest import assert_rate_held

pytestmark = [pytest.mark.xdist_group("celery")]


def test_collected_end_to_end_with_exact_counts(celery_workers, officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=21, events_per_day=3) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start()
        case = case_over(officer, 56)
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=60)
    assert_exact(case, sandbox)
    assert case.windows.count() == 16


def test_faults_do_not_change_the_counts(celery_workers, officer):
    with Sandbox(
        api_key=SANDBOX_KEY,
        seed=22,
        events_per_day=3,
        error_rate=0.3,
        throttle_rate=0.1,
        truncate_rate=0.1,
        retry_after="0",
    ) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(env={"NETCORE_MAX_ATTEMPTS": "10"})
        case = case_over(officer, 70, keys=("ana@example.com", "CUST-7"))
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=90)
        assert len(sandbox.requests) > case.windows.count()  # faults were served
    assert_exact(case, sandbox)


def test_worker_killed_mid_harvest_loses_and_duplicates_nothing(celery_workers, officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=23, events_per_day=4, latency_ms=300) as sandbox:
        sandbox_account(sandbox)
        first = celery_workers.start(concurrency=4)
        case = case_over(officer, 105, keys=("ana@example.com", "CUST-8"))  # 60 windows
        planning.harvest_start(case=case, actor=officer)
        wait_for(
            lambda: (
                case.windows.filter(status=WindowStatus.DONE).count() >= 8
                and case.windows.filter(status=WindowStatus.RUNNING).exists()
            ),
            timeout=60,
            every=0.05,
        )
        celery_workers.kill(first)
        stranded = case.windows.filter(status=WindowStatus.RUNNING).count()
        assert stranded > 0  # the kill caught windows mid-fetch
        celery_workers.start(concurrency=4)
        # Play the periodic watchdog: windows left running by the dead worker, or whose
        # messages it took with it, are queued again once they look stale.
        wait_for(
            lambda: collection_over(case),
            timeout=120,
            every=1.0,
            on_tick=lambda: watchdog.requeue_stale_windows(older_than=timedelta(seconds=3)),
        )
    assert_exact(case, sandbox)
    events = ActivityEvent.objects.filter(case=case)
    assert events.count() == sum(expected_counts(sandbox, case).values())
    assert events.values("window", "position").distinct().count() == events.count()


def test_two_workers_share_one_harvest(celery_workers, officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=24, events_per_day=2, latency_ms=100) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(concurrency=2)
        celery_workers.start(concurrency=2)
        case = case_over(officer, 140)  # 40 windows
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=90)
    assert_exact(case, sandbox)
    workers = set(case.windows.values_list("worker", flat=True))
    assert len(workers) == 2, workers


def test_rate_limit_holds_across_workers(redis_url, celery_workers, officer):
    """Needs Redis: that is where workers share the rate limit."""
    max_rps = 8
    with Sandbox(api_key=SANDBOX_KEY, seed=25, events_per_day=1) as sandbox:
        sandbox_account(sandbox, max_rps=max_rps)
        celery_workers.start(concurrency=4)
        celery_workers.start(concurrency=4)
        case = case_over(officer, 84)  # 24 windows
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=90)
        times = sandbox.request_times()
    assert_exact(case, sandbox)
    assert_rate_held(times, max_rps)


def test_failed_windows_retried_on_workers(celery_workers, officer):
    with Sandbox(
        api_key=SANDBOX_KEY, seed=26, events_per_day=2, error_rate=0.4, max_faults_per_request=1
    ) as sandbox:
        sandbox_account(sandbox)
        celery_workers.start(env={"NETCORE_MAX_ATTEMPTS": "1"})
        case = case_over(officer, 70)
        planning.harvest_start(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=60)
        case.refresh_from_db()
        assert case.status == "collection_incomplete"
        failed = case.windows.filter(status=WindowStatus.FAILED).count()
        assert failed > 0
        planning.harvest_retry_failed(case=case, actor=officer)
        wait_for(lambda: collection_over(case), timeout=60)
    assert_exact(case, sandbox)
