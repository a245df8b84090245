"""Celery tasks: thin interfaces that load by id and call the plain functions that do the work."""

from celery import shared_task

from . import harvest


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def harvest_window_task(window_id: int) -> str:
    # Retries of transient errors happen inside the Netcore client; what is left is recorded on
    # the window (failed, with its cause) for the officer to retry.
    return harvest.harvest_window(window_id)


@shared_task(ignore_result=True)
def harvest_watchdog_task() -> int:
    return harvest.requeue_stale_windows()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def report_generate_task(report_id: int) -> None:
    # Failures are recorded on the report (status failed, with the cause) for the officer to see.
    from . import report

    report.report_generate(report_id)


@shared_task(ignore_result=True)
def deadline_reminders_task() -> int:
    from . import reminders

    return reminders.send_deadline_reminders()


@shared_task(ignore_result=True)
def retention_purge_task() -> int:
    from . import retention

    return len(retention.purge_expired_cases())
