"""One window of a collection: claim it, fetch it from Netcore, store its events.

`harvest_window` claims a window with a compare-and-set, fetches it and, in one transaction,
replaces the window's events and marks it done, so a retry or a re-run never double-counts and a
crash never leaves half a window. `attempts` is the claim's fencing token: only the latest claim
may store. When the last window of a case finishes, the case moves exactly once to collected or
collection incomplete.
"""

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator

from celery import shared_task
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cases.audit import audit_append
from cases.models import ActivityEvent, AuditAction, Case, HarvestWindow, WindowStatus
from cases.workflow import CaseStatus, check_transition
from netcore.client import NetcoreClient
from netcore.errors import NetcoreError
from netcore.models import NetcoreAccount
from netcore.records import RECORD_FIELD_NAMES, ActivityRecord

from .progress import OUTSTANDING, describe_window, harvest_progress

logger = logging.getLogger(__name__)


def claim_window(window_id: int) -> HarvestWindow | None:
    """Take a pending or failed window (compare-and-set); None if another worker has it or it is
    done."""
    claimed = HarvestWindow.objects.filter(
        pk=window_id, status__in=(WindowStatus.PENDING, WindowStatus.FAILED)
    ).update(
        status=WindowStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        last_error="",
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    if not claimed:
        return None
    return HarvestWindow.objects.select_related("account").get(pk=window_id)


EVENT_COLUMNS = (
    "case_id",
    "window_id",
    "position",
    "channel",
    "occurred_at",
    *RECORD_FIELD_NAMES,
    "raw",
)


def _event_rows(window: HarvestWindow, records: list[ActivityRecord]) -> Iterator[tuple]:
    adapt_datetime = connection.ops.adapt_datetimefield_value
    for position, record in enumerate(records):
        # A message id may arrive as a number: it is stored as text, like every Netcore value.
        fields = tuple(
            "" if (value := getattr(record, name)) is None else str(value)
            for name in RECORD_FIELD_NAMES
        )
        yield (
            window.case_id,
            window.pk,
            position,
            window.channel,
            adapt_datetime(record.occurred_at),
            *fields,
            json.dumps(record.raw, ensure_ascii=False),
        )


def insert_events(window: HarvestWindow, records: list[ActivityRecord]) -> None:
    """Insert a window's events: COPY on PostgreSQL, batched INSERTs elsewhere.

    The hot path of a harvest: the ORM's bulk_create spends more time preparing rows than the
    database spends storing them.
    """
    table = connection.ops.quote_name(ActivityEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    rows = _event_rows(window, records)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(EVENT_COLUMNS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names)
        cursor.executemany(sql, rows)


def store_window(window: HarvestWindow, records: list[ActivityRecord], warnings: list[str]) -> bool:
    """Replace the window's events and mark it done, in one transaction.

    Returns False (storing nothing) when the window was claimed again since this worker took
    it: the newer claim owns it now.
    """
    with transaction.atomic():
        # Marking it done first both checks the claim and locks the row until commit.
        owned = HarvestWindow.objects.filter(
            pk=window.pk, status=WindowStatus.RUNNING, attempts=window.attempts
        ).update(
            status=WindowStatus.DONE,
            event_count=len(records),
            warning_count=len(warnings),
            last_error="; ".join(warnings)[:2000],
            finished_at=timezone.now(),
        )
        if not owned:
            return False
        # Events exist only where a store committed, and every store sets event_count.
        if window.event_count:
            ActivityEvent.objects.filter(window=window).delete()
        insert_events(window, records)
    return True


def fail_window(window: HarvestWindow, cause: str) -> bool:
    """Mark the window failed with its cause, unless a newer claim owns it."""
    updated = HarvestWindow.objects.filter(
        pk=window.pk, status=WindowStatus.RUNNING, attempts=window.attempts
    ).update(status=WindowStatus.FAILED, last_error=cause[:2000], finished_at=timezone.now())
    return bool(updated)


ClientFactory = Callable[[NetcoreAccount], NetcoreClient]
_clients: dict[tuple[int, object], NetcoreClient] = {}
_clients_lock = threading.Lock()


def client_for(account: NetcoreAccount) -> NetcoreClient:
    """One client per account and process, so its connections are kept alive across windows.

    Keyed by the account's last change: an edited account (new key, new URL) gets a new client.
    """
    key = (account.pk, account.updated)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            if len(_clients) >= 100:  # accounts are few: this only bounds stale entries
                _clients.clear()
            client = _clients[key] = NetcoreClient(account)
    return client


def harvest_window(window_id: int, *, client_for: ClientFactory = client_for) -> str:
    """Fetch and store one window; returns what happened (done, failed, skipped)."""
    window = claim_window(window_id)
    if window is None:
        return "skipped"
    try:
        result = client_for(window.account).fetch_window(
            primary_key=window.primary_key,
            channel=window.channel,
            start=window.start,
            end=window.end,
        )
    except NetcoreError as exc:
        outcome = "failed" if fail_window(window, f"{type(exc).__name__}: {exc}") else "skipped"
        logger.warning("harvest window %s failed: %s", window.pk, type(exc).__name__)
    else:
        outcome = "done" if store_window(window, result.records, result.warnings) else "skipped"
    if outcome != "skipped":
        harvest_finish_if_complete(window.case_id)
    return outcome


def harvest_finish_if_complete(case_id: int) -> bool:
    """Move a collecting case on once none of its windows is outstanding (exactly once)."""
    if HarvestWindow.objects.filter(case_id=case_id, status__in=OUTSTANDING).exists():
        return False
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.status != CaseStatus.COLLECTING:
            return False
        if case.windows.filter(status__in=OUTSTANDING).exists():
            return False
        progress = harvest_progress(case)
        new_status = CaseStatus.COLLECTION_INCOMPLETE if progress.failed else CaseStatus.COLLECTED
        check_transition(case.status, new_status)
        Case.objects.filter(pk=case.pk).update(status=new_status, updated_at=timezone.now())
        audit_append(
            case=case,
            actor=None,
            action=AuditAction.COLLECTION_FINISHED,
            details={
                "status": new_status,
                "events_per_channel": progress.events_per_channel,
                "windows": progress.total,
                "failed_windows": [
                    {"window": describe_window(w), "cause": w.last_error} for w in progress.failed
                ],
            },
        )
    return True


@shared_task(
    name="cases.tasks.harvest_window_task",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def harvest_window_task(window_id: int) -> str:
    # Retries of transient errors happen inside the Netcore client; what is left is recorded on
    # the window (failed, with its cause) for the officer to retry.
    return harvest_window(window_id)


def enqueue_windows(window_ids: list[int]) -> None:
    """Queue a task per window once the current transaction commits (a worker never meets a
    window that is not there yet)."""

    def send() -> None:
        for window_id in window_ids:
            harvest_window_task.delay(window_id)

    transaction.on_commit(send)
