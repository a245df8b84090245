"""Where a case's collection stands: windows by status, failures with their causes, events."""

from dataclasses import dataclass

from django.db.models import Count, Sum

from cases.models import Case, HarvestWindow, WindowStatus

OUTSTANDING = (WindowStatus.PENDING, WindowStatus.RUNNING)


def describe_window(window: HarvestWindow) -> str:
    return f"#{window.pk} {window.channel} {window.start:%Y-%m-%d}–{window.end:%Y-%m-%d}"


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
