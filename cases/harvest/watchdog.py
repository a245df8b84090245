"""The watchdog: claims whose worker died are taken back; messages the broker lost are replaced.

A running window whose heartbeat is older than HARVEST_STALE_AFTER_SECONDS lost its worker (a live
worker renews it, however slow the window): it goes back to the dispatcher, or fails as "worker
lost" once it has had HARVEST_MAX_ATTEMPTS tries. A queued window is never queued again while
messages wait in the queue: it may simply be waiting. Only when the queue holds none, a window
queued longer than the stale time lost its message (a worker killed with it in hand) and is
queued again. Each run also dispatches, in case a place was left unfilled. The watchdog's task
runs on a queue of its own (dsar_portal/celery.py), so it never waits behind queued windows.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import HarvestWindow, WindowFailure, WindowStatus

from .dispatch import dispatch_windows, messages_waiting
from .window import harvest_finish_if_complete

logger = logging.getLogger(__name__)


def requeue_stale_windows(*, older_than: timedelta | None = None) -> int:
    """Take back stale claims and lost messages (see the module docstring); returns how many
    windows it took back or failed."""
    if older_than is None:
        older_than = timedelta(seconds=settings.HARVEST_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stale = list(
            HarvestWindow.objects.select_for_update(skip_locked=True)
            .filter(status=WindowStatus.RUNNING, heartbeat_at__lt=cutoff)
            .values_list("pk", "case_id", "tries")
        )
        most = settings.HARVEST_MAX_ATTEMPTS
        spent = [(pk, case_id) for pk, case_id, tries in stale if tries >= most]
        again = [pk for pk, _case_id, tries in stale if tries < most]
        if spent:
            HarvestWindow.objects.filter(pk__in=[pk for pk, _ in spent]).update(
                status=WindowStatus.FAILED,
                failure=WindowFailure.WORKER_LOST,
                last_error=f"its worker stopped answering during each of its {most} tries",
                finished_at=timezone.now(),
            )
        if again:
            HarvestWindow.objects.filter(pk__in=again).update(
                status=WindowStatus.PENDING,
                failure=WindowFailure.WORKER_LOST,
                last_error="its worker stopped answering; tried again",
            )
    lost = 0
    if messages_waiting() == 0:
        lost = HarvestWindow.objects.filter(
            status=WindowStatus.QUEUED, queued_at__lt=cutoff
        ).update(status=WindowStatus.PENDING)
    if stale or lost:
        logger.warning(
            "watchdog: %d stale claims taken back (%d failed), %d lost messages replaced",
            len(stale),
            len(spent),
            lost,
        )
    dispatch_windows()
    for case_id in {case_id for _pk, case_id in spent}:
        harvest_finish_if_complete(case_id)
    return len(stale) + lost


@shared_task(name="cases.tasks.harvest_watchdog_task", ignore_result=True)
def harvest_watchdog_task() -> int:
    return requeue_stale_windows()
