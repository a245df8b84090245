"""Where a case's collection stands: windows by status, failures with their causes, events.

For the case page and the progress answer, failed windows come a page at a time, so what they
cost does not grow with the size of the plan.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Sum

from cases.models import Case, HarvestWindow, WindowStatus

OUTSTANDING = (WindowStatus.PENDING, WindowStatus.RUNNING)
FAILED_PER_PAGE = 20


def describe_window(window: HarvestWindow) -> str:
    return f"#{window.pk} {window.channel} {window.start:%Y-%m-%d}–{window.end:%Y-%m-%d}"


@dataclass(frozen=True)
class HarvestProgress:
    total: int
    done: int
    running: int
    pending: int
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
    failed_count = by_status.get(WindowStatus.FAILED, 0)
    failed = (
        case.windows.filter(status=WindowStatus.FAILED)
        .select_related("account")
        .order_by("channel", "start", "pk")
    )
    pages = max(1, -(-failed_count // FAILED_PER_PAGE))
    page = 1
    if failed_page is None:
        failed = list(failed)
    else:
        try:
            page = min(max(int(failed_page), 1), pages)
        except (TypeError, ValueError):
            page = 1
        failed = list(failed[(page - 1) * FAILED_PER_PAGE : page * FAILED_PER_PAGE])
    return HarvestProgress(
        total=sum(by_status.values()),
        done=by_status.get(WindowStatus.DONE, 0),
        running=by_status.get(WindowStatus.RUNNING, 0),
        pending=by_status.get(WindowStatus.PENDING, 0),
        failed=failed,
        events_per_channel={channel: events.get(channel, 0) for channel in case.channels},
        failed_count=failed_count,
        failed_page=page,
        failed_pages=pages,
    )
