"""Where a case's collection stands: windows by status, failures with their causes, events.

One query for the counts and events; the failed windows are read only when there are some.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from cases.models import Case, HarvestWindow, WindowStatus

# Windows not finished yet: waiting for the dispatcher, in the queue, or claimed by a worker.
OUTSTANDING = (WindowStatus.PENDING, WindowStatus.QUEUED, WindowStatus.RUNNING)


def describe_window(window: HarvestWindow) -> str:
    return f"#{window.pk} {window.channel} {window.start:%Y-%m-%d}–{window.end:%Y-%m-%d}"


@dataclass(frozen=True)
class HarvestProgress:
    total: int
    done: int
    running: int
    waiting: int
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
    done = Q(status=WindowStatus.DONE)
    counts = case.windows.order_by().aggregate(
        total=Count("id"),
        done=Count("id", filter=done),
        running=Count("id", filter=Q(status=WindowStatus.RUNNING)),
        waiting=Count("id", filter=Q(status__in=(WindowStatus.PENDING, WindowStatus.QUEUED))),
        failed=Count("id", filter=Q(status=WindowStatus.FAILED)),
        **{
            f"events_{channel}": Sum("event_count", filter=done & Q(channel=channel), default=0)
            for channel in case.channels
        },
    )
    failed = []
    if counts["failed"]:
        failed = list(
            case.windows.filter(status=WindowStatus.FAILED)
            .select_related("account")
            .order_by("channel", "start")
        )
    return HarvestProgress(
        total=counts["total"],
        done=counts["done"],
        running=counts["running"],
        waiting=counts["waiting"],
        failed=failed,
        events_per_channel={channel: counts[f"events_{channel}"] for channel in case.channels},
    )
