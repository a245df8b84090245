"""Planning a collection: 5,000 windows (CASE_MAX_WINDOWS) planned by `harvest_start` against a
baseline measured in the same run, the same windows saved one row at a time; and the case page
and progress answer of a case with 5,000 windows (2,500 failed) against one with 40 (25 failed:
a full page of them too).

Targets: planning under a second; the large case's page and progress answer within 1.5× of the
small one's time, with the same number of queries.
"""

import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.harvest import planning
from cases.models import HarvestWindow, WindowStatus
from cases.services import case_change_status
from tests.factories import OfficerFactory, make_account, make_case

KEYS = [f"bench{n}@example.com" for n in range(25)]
DAYS = 700  # 100 windows of 7 days: 25 keys × 2 channels × 100 = 5,000
RUNS = 3


def plan_case():
    return make_case(
        primary_keys=KEYS,
        channels=["email", "sms"],
        search_from=timezone.localdate() - timedelta(days=DAYS - 1),
        search_to=timezone.localdate(),
    )


def bench_plan() -> tuple[float, float, int]:
    make_account()
    timings = []
    for _ in range(RUNS):
        case = plan_case()
        started = time.perf_counter()
        windows = planning.harvest_start(case=case, actor=None, enqueue=False)
        timings.append(time.perf_counter() - started)
    # Baseline: the same plan saved one row at a time.
    case = plan_case()
    planned = planning.plan_windows(case, [make_account()])
    started = time.perf_counter()
    for window in planned:
        window.save()
    baseline = time.perf_counter() - started
    return statistics.median(timings), baseline, len(windows)


def case_with(windows: int, failed: int, officer):
    case = make_case(actor=officer, assigned_officer=officer, channels=["email"])
    HarvestWindow.objects.bulk_create(
        HarvestWindow(
            case=case,
            account=make_account(),
            primary_key=f"key{n}",
            channel="email",
            start=case.search_from,
            end=case.search_from,
            status=WindowStatus.FAILED if n < failed else WindowStatus.DONE,
            last_error="ServerError: HTTP 503" if n < failed else "",
        )
        for n in range(windows)
    )
    case_change_status(case=case, actor=officer, status="collecting")
    return case


def timed_get(client: Client, url: str) -> tuple[float, int, int]:
    samples = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples), len(queries), len(response.content)


def run() -> bool:
    planned, baseline, windows = bench_plan()
    print(
        f"planning {windows:,} windows: {planned:.2f} s (median of {RUNS}; target < 1 s); "
        f"row-by-row baseline {baseline:.2f} s, {baseline / planned:.1f}x"
    )
    officer = OfficerFactory(username="bench-officer")
    client = Client()
    client.force_login(officer)
    small, large = case_with(40, 25, officer), case_with(5000, 2500, officer)
    client.get(reverse("cases:list"))
    met = planned < 1.0
    for name, label in (("cases:detail", "case page"), ("cases:progress", "progress answer")):
        s_time, s_queries, s_bytes = timed_get(client, reverse(name, args=[small.reference]))
        l_time, l_queries, l_bytes = timed_get(client, reverse(name, args=[large.reference]))
        print(
            f"{label}, 5,000 windows (2,500 failed) against 40 (25 failed): "
            f"{l_time * 1000:.0f} ms / {s_time * 1000:.0f} ms = {l_time / s_time:.2f}x "
            f"(target <= 1.5x), {l_queries} / {s_queries} queries, "
            f"{l_bytes:,} / {s_bytes:,} bytes"
        )
        met &= l_time / s_time <= 1.5 and l_queries == s_queries
    return met
