"""Harvest speed: the Celery pipeline against the ideal for its concurrency and against a
sequential baseline, and the rate at which events are stored.

Sandbox at 100 ms latency; a case of two years and both channels (210 windows).
"""

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import harvest_window, store_window
from cases.models import ActivityEvent, AuditAction, Case, HarvestWindow, WindowStatus
from netcore.records import record_from_raw
from netcore.sandbox import Sandbox
from tests.celery_workers import WorkerPool
from tests.factories import make_case
from tests.harvest_fixtures import SANDBOX_KEY, event_counts, expected_counts, sandbox_account

LATENCY_MS = 100
CONCURRENCY = 8  # concurrent requests: two worker processes of four threads, one per core
WORKER_PROCESSES = 2
EVENTS_PER_DAY = 2  # 14 events a seven-day window
START = date(2024, 1, 1)
END = START + timedelta(days=7 * 105 - 1)  # 105 windows a channel: two years
STORE_EVENTS = 100_000
STORE_WINDOW_SIZE = 1_000


def two_year_case() -> Case:
    return make_case(
        primary_keys=["bench@example.com"],
        channels=["email", "sms"],
        search_from=START,
        search_to=END,
        received_on=timezone.localdate(),
    )


def wait_until_collected(case: Case, timeout: float = 600) -> None:
    # Polled slowly: the time is read from the audit trail, not from when we notice.
    deadline = time.monotonic() + timeout
    while Case.objects.get(pk=case.pk).status == "collecting":
        if time.monotonic() > deadline:
            raise RuntimeError("the harvest did not finish")
        time.sleep(0.25)


def check_exact(case: Case, sandbox: Sandbox) -> None:
    case.refresh_from_db()
    if case.status != "collected" or event_counts(case) != expected_counts(sandbox, case):
        raise RuntimeError(f"harvest incomplete: {case.status} {event_counts(case)}")


def bench_sequential(sandbox: Sandbox) -> tuple[float, int]:
    case = two_year_case()
    windows = planning.harvest_start(case=case, actor=None, enqueue=False)
    started = time.perf_counter()
    for window_id in queue_here(case.pk):
        harvest_window(window_id, dispatch=False)
    elapsed = time.perf_counter() - started
    check_exact(case, sandbox)
    return elapsed, len(windows)


def bench_pipeline(sandbox: Sandbox, workers: WorkerPool) -> tuple[float, int]:
    case = two_year_case()
    started = timezone.now()
    windows = planning.harvest_start(case=case, actor=None)
    wait_until_collected(case)
    finished = case.audit_entries.get(action=AuditAction.COLLECTION_FINISHED).created_at
    elapsed = (finished - started).total_seconds()
    check_exact(case, sandbox)
    return elapsed, len(windows)


def bench_store(sandbox: Sandbox) -> tuple[float, float]:
    """Events stored per second through store_window, and by saving rows one at a time."""
    zone = timezone.get_current_timezone()
    raws = sandbox.expected_activity(
        "store@example.com", "email", START, START + timedelta(days=400)
    )
    records = [record_from_raw(raw, zone)[0] for raw in raws]
    records = (records * (STORE_WINDOW_SIZE // len(records) + 1))[:STORE_WINDOW_SIZE]
    case = two_year_case()
    account = sandbox.account
    windows = HarvestWindow.objects.bulk_create(
        HarvestWindow(
            case=case,
            account=account,
            primary_key="store@example.com",
            channel="email",
            start=START + timedelta(days=7 * n),
            end=START + timedelta(days=7 * n + 6),
            status=WindowStatus.RUNNING,
            attempts=1,
        )
        for n in range(STORE_EVENTS // STORE_WINDOW_SIZE + 1)
    )
    started = time.perf_counter()
    for window in windows[:-1]:
        store_window(window, records, [])
    ours = STORE_EVENTS / (time.perf_counter() - started)
    # Baseline: the same events saved one row at a time (a tenth of them, to keep it short).
    baseline_window, baseline_events = windows[-1], STORE_EVENTS // 10
    started = time.perf_counter()
    for n in range(baseline_events):
        record = records[n % len(records)]
        ActivityEvent(
            case=case,
            window=baseline_window,
            position=n,
            channel="email",
            activity=record.activity,
            occurred_at=record.occurred_at,
            activity_date_raw=record.activity_date_raw,
            message_id=str(record.message_id),
            message_name=record.message_name,
            ip=record.ip,
            device=record.device,
            os=record.os,
            browser=record.browser,
            link=record.link,
            raw=record.raw,
        ).save()
    baseline = baseline_events / (time.perf_counter() - started)
    assert ActivityEvent.objects.filter(case=case).count() == STORE_EVENTS + baseline_events
    return ours, baseline


def run() -> bool:
    with Sandbox(
        api_key=SANDBOX_KEY, seed=1, events_per_day=EVENTS_PER_DAY, latency_ms=LATENCY_MS
    ) as sandbox:
        sandbox.account = sandbox_account(sandbox, max_rps=1000)
        with tempfile.TemporaryDirectory() as logs:
            workers = WorkerPool(Path(logs))
            try:
                for _ in range(WORKER_PROCESSES):
                    workers.start(concurrency=CONCURRENCY // WORKER_PROCESSES)
                sequential, windows = bench_sequential(sandbox)
                pipeline, _ = bench_pipeline(sandbox, workers)
            finally:
                workers.stop_all()
        ours, baseline = bench_store(sandbox)
    ideal = windows / CONCURRENCY * LATENCY_MS / 1000
    database = connection.vendor
    print(
        f"windows: {windows} (2 channels x 105), {EVENTS_PER_DAY * 7} events a window, "
        f"sandbox latency {LATENCY_MS} ms, database {database}"
    )
    print(f"sequential baseline (one window after another): {sequential:.2f} s")
    print(
        f"pipeline, {WORKER_PROCESSES} Celery workers x {CONCURRENCY // WORKER_PROCESSES} threads "
        f"= {CONCURRENCY} concurrent requests: {pipeline:.2f} s"
    )
    print(
        f"ideal for that concurrency ({windows} / {CONCURRENCY} x {LATENCY_MS} ms): {ideal:.2f} s"
    )
    ratio, speedup = pipeline / ideal, sequential / pipeline
    print(f"pipeline / ideal: {ratio:.2f}x (target <= 1.3x)")
    print(f"speed-up over sequential: {speedup:.1f}x (target >= 5x)")
    print(
        f"storing {STORE_EVENTS} events: {ours:,.0f} events/s (target >= 20,000 on PostgreSQL); "
        f"row-by-row baseline {baseline:,.0f} events/s, {ours / baseline:.1f}x"
    )
    met = ratio <= 1.3 and speedup >= 5 and (database != "postgresql" or ours >= 20_000)
    return met
