"""The watchdog: windows whose worker died are put back to pending, to be queued again."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import HarvestWindow, WindowStatus

from .window import enqueue_windows

logger = logging.getLogger(__name__)


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
            enqueue_windows(stale)
    if stale:
        logger.warning("watchdog re-queued %d stale harvest windows", len(stale))
    return len(stale)


@shared_task(name="cases.tasks.harvest_watchdog_task", ignore_result=True)
def harvest_watchdog_task() -> int:
    return requeue_stale_windows()
