"""Where a case's collection stands: windows by status, failures with their causes, events.

One query for the counts and events; the failed windows are read only when there are some, and a
page of them at a time when the caller asks for a page (the case page and the progress answer cost
the same whatever the size of the plan).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from cases.models import Case, HarvestWindow, WindowStatus

# Windows not finished yet: waiting for the dispatcher, in the queue, or claimed by a worker.
OUTSTANDING = (WindowStatus.PENDING, WindowStatus.QUEUED, WindowStatus.RUNNING)
FAILED_PER_PAGE = 20


def describe_window(window: HarvestWindow) -> str:
    return f"#{window.pk} {window.channel} {window.start:%Y-%m-%d}–{window.end:%Y-%m-%d}"


@dataclass(frozen=True)
class HarvestProgress:
    total: int
    done: int
    running: int
    waiting: int
    failed: Sequence[HarvestWindow]  # every failed window, or one page of them
    events_per_channel: dict[str, int]
    failed_count: int = 0
    failed_page: int = 1
    failed_pages: int = 1

    @property
    def finished(self) -> int:
        return self.done + self.failed_count

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 0


def harvest_progress(case: Case, *, failed_page: int | str | None = None) -> HarvestProgress:
    """Windows by status, failed windows with their causes, and events so far per channel.

    With `failed_page` (a page number, as typed in a URL), only that page of the failed windows
    is loaded; without it, all of them.
    """
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
    failed_count = counts["failed"]
    pages = max(1, -(-failed_count // FAILED_PER_PAGE))
    page = 1
    failed: list[HarvestWindow] = []
    if failed_count:
        windows = (
            case.windows.filter(status=WindowStatus.FAILED)
            .select_related("account")
            .order_by("channel", "start", "pk")
        )
        if failed_page is None:
            failed = list(windows)
        else:
            try:
                page = min(max(int(failed_page), 1), pages)
            except (TypeError, ValueError):
                page = 1
            failed = list(windows[(page - 1) * FAILED_PER_PAGE : page * FAILED_PER_PAGE])
    return HarvestProgress(
        total=counts["total"],
        done=counts["done"],
        running=counts["running"],
        waiting=counts["waiting"],
        failed=failed,
        events_per_channel={channel: counts[f"events_{channel}"] for channel in case.channels},
        failed_count=failed_count,
        failed_page=page,
        failed_pages=pages,
    )
