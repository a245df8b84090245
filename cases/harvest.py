"""Collecting a case's channel activity from Netcore, one window at a time.

`harvest_start` plans one HarvestWindow per (account, primary key, channel, window) and queues a
task per window once the plan is committed. `harvest_window` claims a window with a
compare-and-set, fetches it and, in one transaction, replaces the window's events and marks it
done, so a retry or a re-run never double-counts and a crash never leaves half a window. When the
last window of a case finishes, the case moves exactly once to collected or collection incomplete.
"""

import json
import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from netcore.client import NetcoreClient
from netcore.errors import NetcoreError
from netcore.models import NetcoreAccount
from netcore.records import ActivityRecord
from netcore.windows import split_into_windows

from .audit import audit_append
from .models import ActivityEvent, AuditAction, Case, HarvestWindow, WindowStatus
from .services import CaseRuleError
from .workflow import CaseStatus, check_transition

logger = logging.getLogger(__name__)

OUTSTANDING = (WindowStatus.PENDING, WindowStatus.RUNNING)


# Statuses from which an officer may start (or restart) the whole collection.
COLLECTABLE = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.IDENTITY_VERIFIED,
        CaseStatus.COLLECTED,
        CaseStatus.COLLECTION_INCOMPLETE,
        CaseStatus.REPORT_READY,
    }
)


def _enqueue_after_commit(window_ids: list[int]) -> None:
    from .tasks import harvest_window_task

    def send() -> None:
        for window_id in window_ids:
            harvest_window_task.delay(window_id)

    transaction.on_commit(send)


def plan_windows(case: Case, accounts: Iterable[NetcoreAccount]) -> list[HarvestWindow]:
    """The windows a full collection of `case` needs (unsaved)."""
    return [
        HarvestWindow(
            case=case,
            account=account,
            primary_key=primary_key,
            channel=channel,
            start=start,
            end=end,
        )
        for account in accounts
        for primary_key in case.primary_keys
        for channel in case.channels
        for start, end in split_into_windows(case.search_from, case.search_to, account.window_days)
    ]


@transaction.atomic
def harvest_start(*, case: Case, actor, enqueue: bool = True) -> list[HarvestWindow]:
    """Plan the collection of a case (replacing any earlier one) and queue its windows.

    Earlier windows that the new plan still has are reset to pending and keep their events until
    they are fetched again; windows no longer in the plan are deleted with their events.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status not in COLLECTABLE:
        raise CaseRuleError(
            f"Collection cannot start while the case is “{case.get_status_display()}”."
        )
    accounts = list(NetcoreAccount.objects.filter(active=True).order_by("name"))
    if not accounts:
        raise CaseRuleError("No active Netcore account: add one in the admin first.")
    planned = plan_windows(case, accounts)
    existing = {
        (w.account_id, w.primary_key, w.channel, w.start, w.end): w for w in case.windows.all()
    }
    keep_ids, new = [], []
    for window in planned:
        found = existing.pop(
            (window.account.pk, window.primary_key, window.channel, window.start, window.end),
            None,
        )
        if found:
            keep_ids.append(found.pk)
        else:
            new.append(window)
    if existing:
        HarvestWindow.objects.filter(pk__in=[w.pk for w in existing.values()]).delete()
    now = timezone.now()
    for window in new:
        window.queued_at = now
    HarvestWindow.objects.bulk_create(new, batch_size=500)
    HarvestWindow.objects.filter(pk__in=keep_ids).update(
        status=WindowStatus.PENDING, last_error="", queued_at=now
    )
    windows = list(case.windows.order_by("pk"))
    previous = case.status
    check_transition(previous, CaseStatus.COLLECTING)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.COLLECTING, updated_at=now)
    per_channel = Counter(w.channel for w in windows)
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.COLLECTION_STARTED,
        details={
            "from_status": previous,
            "accounts": [f"{a.name} ({a.region or a.effective_base_url})" for a in accounts],
            "range": {"from": case.search_from, "to": case.search_to},
            "primary_key_count": len(case.primary_keys),
            "windows": len(windows),
            "windows_per_channel": dict(sorted(per_channel.items())),
        },
    )
    if enqueue:
        _enqueue_after_commit([w.pk for w in windows])
    return windows


@transaction.atomic
def harvest_retry_failed(*, case: Case, actor, enqueue: bool = True) -> list[HarvestWindow]:
    """Queue the failed windows of a case again."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    failed = list(case.windows.filter(status=WindowStatus.FAILED).order_by("pk"))
    if not failed:
        raise CaseRuleError("No failed windows to retry.")
    now = timezone.now()
    HarvestWindow.objects.filter(pk__in=[w.pk for w in failed]).update(
        status=WindowStatus.PENDING, queued_at=now
    )
    if case.status != CaseStatus.COLLECTING:
        check_transition(case.status, CaseStatus.COLLECTING)
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.COLLECTING, updated_at=now)
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.COLLECTION_RETRIED,
        details={"from_status": case.status, "windows": [_describe(w) for w in failed]},
    )
    if enqueue:
        _enqueue_after_commit([w.pk for w in failed])
    return failed


def _describe(window: HarvestWindow) -> str:
    return f"#{window.pk} {window.channel} {window.start:%Y-%m-%d}–{window.end:%Y-%m-%d}"


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
    *ActivityEvent.NETCORE_FIELDS,
    "raw",
)


def _event_rows(window: HarvestWindow, records: list[ActivityRecord]) -> Iterator[tuple]:
    adapt_datetime = connection.ops.adapt_datetimefield_value
    for position, record in enumerate(records):
        yield (
            window.case_id,
            window.pk,
            position,
            window.channel,
            record.activity,
            adapt_datetime(record.occurred_at),
            record.activity_date_raw,
            "" if record.message_id is None else str(record.message_id),
            record.message_name,
            record.ip,
            record.device,
            record.os,
            record.browser,
            record.link,
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
                    {"window": _describe(w), "cause": w.last_error} for w in progress.failed
                ],
            },
        )
    return True


@dataclass(frozen=True)
class HarvestProgress:
    total: int
    done: int
    running: int
    pending: int
    failed: list[HarvestWindow]
    events_per_channel: dict[str, int]

    @property
    def finished(self) -> int:
        return self.done + len(self.failed)

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 0


def harvest_progress(case: Case) -> HarvestProgress:
    """Windows by status, failed windows with their causes, and events so far per channel."""
    by_status = dict(
        case.windows.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    events = dict(
        case.windows.order_by()
        .filter(status=WindowStatus.DONE)
        .values_list("channel")
        .annotate(n=Sum("event_count"))
        .values_list("channel", "n")
    )
    failed = list(
        case.windows.filter(status=WindowStatus.FAILED)
        .select_related("account")
        .order_by("channel", "start")
    )
    return HarvestProgress(
        total=sum(by_status.values()),
        done=by_status.get(WindowStatus.DONE, 0),
        running=by_status.get(WindowStatus.RUNNING, 0),
        pending=by_status.get(WindowStatus.PENDING, 0),
        failed=failed,
        events_per_channel={channel: events.get(channel, 0) for channel in case.channels},
    )


def requeue_stale_windows(*, older_than: timedelta | None = None) -> int:
    """Watchdog: queue again windows whose worker died (running, or pending and never taken).

    A duplicate message is harmless: only one claim of a window succeeds.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.HARVEST_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stale = list(
            HarvestWindow.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=WindowStatus.RUNNING, started_at__lt=cutoff)
                | Q(status=WindowStatus.PENDING, queued_at__lt=cutoff)
            )
            .values_list("pk", flat=True)
        )
        if stale:
            HarvestWindow.objects.filter(pk__in=stale).update(
                status=WindowStatus.PENDING, queued_at=timezone.now()
            )
            _enqueue_after_commit(stale)
    if stale:
        logger.warning("watchdog re-queued %d stale harvest windows", len(stale))
    return len(stale)
