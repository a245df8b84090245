"""What Celery beat does with an entry of CELERY_BEAT_SCHEDULE: when it runs next, asked of the
entry's own schedule, and the job it runs, found in the Celery app by the name beat sends."""

from datetime import datetime

from celery import Task
from django.conf import settings

from dsar_portal.celery import app


def next_runs(entry: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` times beat runs `entry` after `after`, in the portal's time zone."""
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]
    runs: list[datetime] = []
    for _ in range(count):
        last, delta, _now = schedule.remaining_delta(after)
        after = last + delta
        runs.append(after)
    return runs


def job(entry: str) -> Task:
    """The task beat sends for `entry`, as the workers know it."""
    app.loader.import_default_modules()
    return app.tasks[settings.CELERY_BEAT_SCHEDULE[entry]["task"]]
