"""One window of a collection: claim it, fetch it from Netcore, store its events.

`harvest_window` claims a window with a compare-and-set, fetches it and, in one transaction,
replaces the window's events and marks it done, so a retry or a re-run never double-counts and a
crash never leaves half a window. Only a queued window of a collecting case can be claimed: a late
or duplicate message for a window that is running, done or failed, or whose case has moved on,
does nothing. `attempts` is the claim's fencing token: only the latest claim may store.

Every try ends in one of three ways: done; failed, with a classified cause (`WindowFailure`);
or, for a fault of our own (database, rate limiter, time limit), given back to the dispatcher
for another try, until the window has had HARVEST_MAX_ATTEMPTS tries (worker deaths, found by
the watchdog, count too). The fetch stops at a deadline in code (90% of
HARVEST_WINDOW_SOFT_TIME_LIMIT), since a thread pool does not enforce Celery's time limits.
When the last window of a case finishes, the case moves exactly once to collected or collection
incomplete.
"""

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from cases.audit import audit_append
from cases.models import (
    ActivityEvent,
    AuditAction,
    Case,
    HarvestWindow,
    WindowFailure,
    WindowStatus,
)
from cases.workflow import CaseStatus, check_transition
from netcore.client import NetcoreClient
from netcore.errors import (
    ApiKeyUnreadable,
    BadApiKey,
    BadResponse,
    ConnectionFailed,
    EndpointRefused,
    NetcoreError,
    RateLimited,
    RateLimiterUnavailable,
    Redirected,
    RequestRejected,
    RequestTimeout,
    ServerError,
    UnexpectedResponse,
)
from netcore.models import NetcoreAccount
from netcore.records import RECORD_FIELD_NAMES, ActivityRecord

from .dispatch import WINDOW_TASK, dispatch_when_low, dispatch_windows
from .heartbeat import heartbeat
from .progress import OUTSTANDING, describe_window, harvest_progress

logger = logging.getLogger(__name__)
# The share of the soft time limit spent fetching; the rest is for storing the events.
FETCH_SHARE = 0.9


def claim_window(window_id: int) -> HarvestWindow | None:
    """Take a queued window of a collecting case (compare-and-set); None if it is not queued
    (another worker has it, it is done or failed) or its case is no longer collecting."""
    now = timezone.now()
    collecting = Case.objects.filter(pk=OuterRef("case_id"), status=CaseStatus.COLLECTING)
    claimed = HarvestWindow.objects.filter(
        Exists(collecting), pk=window_id, status=WindowStatus.QUEUED
    ).update(
        status=WindowStatus.RUNNING,
        attempts=F("attempts") + 1,
        tries=F("tries") + 1,
        started_at=now,
        heartbeat_at=now,
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
            # The driver's own cursor: its errors are turned into Django's, like any query's.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
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
        owned = _claim_of(window).update(
            status=WindowStatus.DONE,
            event_count=len(records),
            warning_count=len(warnings),
            failure="",
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


# The client's typed errors as an officer reads them; the first matching class wins.
NETCORE_FAILURES: list[tuple[type[NetcoreError], WindowFailure]] = [
    (BadApiKey, WindowFailure.KEY_REFUSED),
    (ApiKeyUnreadable, WindowFailure.KEY_REFUSED),  # stored under another FIELD_ENCRYPTION_KEY
    (EndpointRefused, WindowFailure.KEY_REFUSED),
    (Redirected, WindowFailure.KEY_REFUSED),  # the account's address is not Netcore's API
    (RequestRejected, WindowFailure.RANGE_REFUSED),
    (RateLimited, WindowFailure.RATE_LIMITED),
    (ServerError, WindowFailure.NETCORE_DOWN),
    (RequestTimeout, WindowFailure.TIMED_OUT),
    (ConnectionFailed, WindowFailure.UNREACHABLE),
    (BadResponse, WindowFailure.UNREADABLE),
    (UnexpectedResponse, WindowFailure.UNREADABLE),
]


def netcore_failure(exc: NetcoreError) -> WindowFailure:
    """The class of a Netcore error, as the failed window records it."""
    for error, failure in NETCORE_FAILURES:
        if isinstance(exc, error):
            return failure
    return WindowFailure.NETCORE


def fail_window(window: HarvestWindow, failure: WindowFailure, cause: str) -> bool:
    """Mark the window failed with its cause, unless a newer claim owns it."""
    updated = _claim_of(window).update(
        status=WindowStatus.FAILED,
        failure=failure,
        last_error=cause[:2000],
        finished_at=timezone.now(),
    )
    return bool(updated)


def give_back(window: HarvestWindow, failure: WindowFailure, cause: str) -> str:
    """A try that a fault of our own cut short: the window goes back to pending for another
    try, or fails once it has had HARVEST_MAX_ATTEMPTS. Returns "retry", "failed" or "skipped"
    (a newer claim owns it, or the database cannot be reached: the watchdog will find the claim
    stale)."""
    tries = window.tries
    try:
        if tries >= settings.HARVEST_MAX_ATTEMPTS:
            failed = fail_window(window, failure, f"{cause} (after {tries} tries)")
            return "failed" if failed else "skipped"
        retried = _claim_of(window).update(
            status=WindowStatus.PENDING, failure=failure, last_error=cause[:2000]
        )
    except DatabaseError as exc:
        logger.warning("harvest window %s left to the watchdog: %s", window.pk, type(exc).__name__)
        return "skipped"
    return "retry" if retried else "skipped"


def _claim_of(window: HarvestWindow):
    """The window, if the claim `window` was taken with is still its latest and running."""
    return HarvestWindow.objects.filter(
        pk=window.pk, status=WindowStatus.RUNNING, attempts=window.attempts
    )


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


def harvest_window(
    window_id: int, *, client_for: ClientFactory = client_for, dispatch: bool = True
) -> str:
    """Claim, fetch and store one window; returns what happened: done, failed, retry (given
    back for another try) or skipped. With `dispatch`, the queue is topped up when the claim
    leaves it low (off for `harvest --sync`, which has no queue)."""
    window = claim_window(window_id)
    if window is None:
        return "skipped"
    soft_limit = settings.HARVEST_WINDOW_SOFT_TIME_LIMIT
    deadline = time.monotonic() + soft_limit * FETCH_SHARE
    try:
        if dispatch:
            dispatch_when_low()
        with heartbeat.keep_alive(window):
            result = client_for(window.account).fetch_window(
                primary_key=window.primary_key,
                channel=window.channel,
                start=window.start,
                end=window.end,
                deadline=deadline,
            )
            outcome = "done" if store_window(window, result.records, result.warnings) else "skipped"
    except RateLimiterUnavailable as exc:
        outcome = give_back(window, WindowFailure.RATE_LIMITER, f"{type(exc).__name__}: {exc}")
    except NetcoreError as exc:
        failure = netcore_failure(exc)
        cause = f"{type(exc).__name__}: {exc}"
        outcome = "failed" if fail_window(window, failure, cause) else "skipped"
    except SoftTimeLimitExceeded:
        cause = f"not finished within HARVEST_WINDOW_SOFT_TIME_LIMIT ({soft_limit} s)"
        outcome = give_back(window, WindowFailure.TIME_LIMIT, cause)
    except DatabaseError as exc:
        outcome = give_back(window, WindowFailure.DATABASE, f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        logger.exception("harvest window %s: internal error", window.pk)
        outcome = (
            "failed"
            if fail_window(window, WindowFailure.INTERNAL, f"{type(exc).__name__}: {exc}")
            else "skipped"
        )
    if outcome not in ("done", "skipped"):
        logger.warning("harvest window %s: %s (try %d)", window.pk, outcome, window.tries)
    if outcome in ("done", "failed"):
        harvest_finish_if_complete(window.case_id)
    elif outcome == "retry" and dispatch:
        dispatch_windows()
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
                    {"window": describe_window(w), "failure": w.failure, "cause": w.last_error}
                    for w in progress.failed
                ],
            },
        )
    return True


@shared_task(name=WINDOW_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def harvest_window_task(window_id: int) -> str:
    # Netcore's transient errors are retried inside the client; every other outcome is recorded
    # on the window (see the module docstring).
    return harvest_window(window_id)
