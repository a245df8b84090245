"""The dispatcher: which windows wait in the queue, and whose.

A collection plans its windows `pending`; the dispatcher moves them to `queued` and sends one
message each, keeping at most HARVEST_QUEUED_WINDOWS queued, all cases together, so that a case
started later never waits behind thousands of another's. Each free place goes to the collecting
case that has had the fewest windows queued in the last FAIR_SHARE_SECONDS, then to the one with
the fewest in flight: a case just started is served first until it has caught up with the others,
then they take turns (a newcomer can hold the others back for at most about half that time).

It runs when a collection starts or is retried, when a worker's claim leaves half the places or
more free (a count first, so most claims cost one query, not a dispatch), when a try is given
back, and on each watchdog run. One dispatcher works at a time (a
transaction-scoped lock; SQLite's immediate transactions serialise writers anyway): two would
count the same free places. Messages are sent once the choice is committed, so a worker never
meets a window that is not queued yet; a window whose message cannot be sent goes back to pending.
"""

import logging
from collections import deque
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from cases.models import Case, HarvestWindow, WindowStatus
from cases.workflow import CaseStatus

logger = logging.getLogger(__name__)

WINDOW_TASK = "cases.tasks.harvest_window_task"
FAIR_SHARE_SECONDS = 10
# Any constant: the key of the PostgreSQL advisory lock held while dispatching.
DISPATCH_LOCK_KEY = 0x44_53_41_52


def dispatch_windows(*, wait: bool = True) -> int:
    """Fill the free places in the queue with pending windows, fairly; returns how many. Without
    `wait`, nothing is done while another dispatcher is at work (it fills the places)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
                cursor.execute(f"SELECT {lock}(%s)", [DISPATCH_LOCK_KEY])
                if not wait and not cursor.fetchone()[0]:
                    return 0
        chosen = _choose_windows()
        if not chosen:
            return 0
        HarvestWindow.objects.filter(pk__in=chosen, status=WindowStatus.PENDING).update(
            status=WindowStatus.QUEUED, queued_at=timezone.now()
        )
        transaction.on_commit(lambda: send_windows(chosen))
    return len(chosen)


def dispatch_when_low() -> int:
    """Dispatch once no more than half of HARVEST_QUEUED_WINDOWS are queued, unless another
    dispatcher is at work. Each claim calls it after committing; the claim that finds the queue
    empty waits for any dispatcher at work and then dispatches itself, so the queue never stays
    dry while windows wait for the dispatcher."""
    queued = HarvestWindow.objects.filter(status=WindowStatus.QUEUED).count()
    if queued * 2 > settings.HARVEST_QUEUED_WINDOWS:
        return 0
    return dispatch_windows(wait=queued == 0)


def _choose_windows() -> list[int]:
    now = timezone.now()
    recently = Q(queued_at__gte=now - timedelta(seconds=FAIR_SHARE_SECONDS)) & ~Q(
        status=WindowStatus.PENDING
    )
    in_flight = Q(status__in=(WindowStatus.QUEUED, WindowStatus.RUNNING))
    load = {
        row["case_id"]: row
        for row in HarvestWindow.objects.filter(in_flight | recently)
        .order_by()
        .values("case_id")
        .annotate(
            queued=Count("id", filter=Q(status=WindowStatus.QUEUED)),
            in_flight=Count("id", filter=in_flight),
            recent=Count("id", filter=recently),
        )
    }
    free = settings.HARVEST_QUEUED_WINDOWS - sum(row["queued"] for row in load.values())
    if free <= 0:
        return []
    waiting = HarvestWindow.objects.filter(case=OuterRef("pk"), status=WindowStatus.PENDING)
    cases = Case.objects.filter(Exists(waiting), status=CaseStatus.COLLECTING).values_list(
        "pk", flat=True
    )
    # (windows queued lately, windows in flight, case id) of each case with pending windows.
    share = {
        case_id: [load.get(case_id, {}).get(key, 0) for key in ("recent", "in_flight")] + [case_id]
        for case_id in cases
    }
    pending: dict[int, deque[int]] = {}
    chosen: list[int] = []
    while share and len(chosen) < free:
        case_id = min(share, key=share.get)
        if case_id not in pending:
            pending[case_id] = deque(
                HarvestWindow.objects.filter(case_id=case_id, status=WindowStatus.PENDING)
                .order_by("pk")
                .values_list("pk", flat=True)[:free]
            )
        if not pending[case_id]:
            del share[case_id]
            continue
        chosen.append(pending[case_id].popleft())
        share[case_id][0] += 1
        share[case_id][1] += 1
    return chosen


def send_windows(window_ids: list[int]) -> None:
    """One message per window; what cannot be sent (the broker is away) goes back to pending."""
    for sent, window_id in enumerate(window_ids):
        try:
            current_app.send_task(WINDOW_TASK, args=(window_id,))
        except OperationalError as exc:
            unsent = window_ids[sent:]
            HarvestWindow.objects.filter(pk__in=unsent, status=WindowStatus.QUEUED).update(
                status=WindowStatus.PENDING
            )
            logger.warning("%d harvest windows not queued (broker: %s)", len(unsent), exc)
            return


def queue_here(case_id: int) -> list[int]:
    """Queue a case's pending windows for the calling process itself to run, with no message
    (`harvest --sync`); returns their ids."""
    with transaction.atomic():
        window_ids = list(
            HarvestWindow.objects.select_for_update()
            .filter(case_id=case_id, status=WindowStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        HarvestWindow.objects.filter(pk__in=window_ids).update(
            status=WindowStatus.QUEUED, queued_at=timezone.now()
        )
    return window_ids


def messages_waiting() -> int | None:
    """Messages waiting in the default queue (the windows'), or None if the broker is away."""
    app = current_app
    with app.connection_for_read() as broker:
        try:
            declared = broker.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
        except broker.channel_errors:
            return 0  # no such queue: Redis drops a list once it is empty
        except broker.connection_errors:
            return None
    return declared.message_count
