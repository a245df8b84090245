"""Planning a case's collection: one HarvestWindow per (account, primary key, channel, window),
handed to the dispatcher once the plan is committed. Re-planning keeps the windows the new plan
still has. Failed windows return to pending only here: a new plan, or the officer's retry, each
audited, and each starts the windows' count of tries again. A plan is never larger than
CASE_MAX_WINDOWS windows (checked at intake, on edit and at start)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.audit import audit_append
from cases.models import AuditAction, Case, HarvestWindow, WindowStatus
from cases.services import CaseRuleError
from cases.workflow import CaseStatus, check_transition
from netcore.models import NetcoreAccount
from netcore.windows import count_windows, split_into_windows

from .dispatch import dispatch_windows
from .progress import describe_window

# Statuses from which an officer may start (or restart) the whole collection.
HARVESTABLE = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.IDENTITY_VERIFIED,
        CaseStatus.COLLECTED,
        CaseStatus.COLLECTION_INCOMPLETE,
        CaseStatus.REPORT_READY,
    }
)


class PlanTooLarge(CaseRuleError):
    """The collection would need more windows (requests to Netcore) than CASE_MAX_WINDOWS."""


def check_plan_size(
    *,
    primary_keys: Sequence[str],
    channels: Sequence[str],
    search_from: date,
    search_to: date,
    accounts: Sequence[NetcoreAccount],
) -> int:
    """The number of windows a full collection needs; PlanTooLarge, naming the numbers, when it
    is more than CASE_MAX_WINDOWS. Counted, not planned: a refusal costs nothing."""
    per_key_and_channel = sum(
        count_windows(search_from, search_to, account.window_days) for account in accounts
    )
    size = len(primary_keys) * len(channels) * per_key_and_channel
    if size > settings.CASE_MAX_WINDOWS:
        days = (search_to - search_from).days + 1
        raise PlanTooLarge(
            f"This search needs {size:,} requests to Netcore ({len(primary_keys)} primary keys "
            f"× {len(channels)} channels × {per_key_and_channel:,} windows of at most 7 days for "
            f"{days:,} days with {len(accounts)} active accounts), more than the "
            f"{settings.CASE_MAX_WINDOWS:,} a case may make (CASE_MAX_WINDOWS). Search fewer "
            "days or fewer primary keys, or split the request into several cases."
        )
    return size


# A window planned again: waiting for the dispatcher, with a fresh count of tries.
AGAIN = {"status": WindowStatus.PENDING, "tries": 0, "failure": "", "last_error": ""}


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
    if case.status not in HARVESTABLE:
        raise CaseRuleError(
            f"Collection cannot start while the case is “{case.get_status_display()}”."
        )
    accounts = list(NetcoreAccount.objects.filter(active=True).order_by("name"))
    if not accounts:
        raise CaseRuleError("No active Netcore account: add one in the admin first.")
    check_plan_size(
        primary_keys=case.primary_keys,
        channels=case.channels,
        search_from=case.search_from,
        search_to=case.search_to,
        accounts=accounts,
    )
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
    HarvestWindow.objects.bulk_create(new, batch_size=500)
    HarvestWindow.objects.filter(pk__in=keep_ids).update(**AGAIN)
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
        transaction.on_commit(dispatch_windows)
    return windows


@transaction.atomic
def harvest_retry_failed(*, case: Case, actor, enqueue: bool = True) -> list[HarvestWindow]:
    """Queue the failed windows of a case again (audited)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    failed = list(case.windows.filter(status=WindowStatus.FAILED).order_by("pk"))
    if not failed:
        raise CaseRuleError("No failed windows to retry.")
    now = timezone.now()
    HarvestWindow.objects.filter(pk__in=[w.pk for w in failed]).update(**AGAIN)
    if case.status != CaseStatus.COLLECTING:
        check_transition(case.status, CaseStatus.COLLECTING)
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.COLLECTING, updated_at=now)
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.COLLECTION_RETRIED,
        details={"from_status": case.status, "windows": [describe_window(w) for w in failed]},
    )
    if enqueue:
        transaction.on_commit(dispatch_windows)
    return failed
