import os

from celery import Celery
from celery.signals import setup_logging, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar_portal.settings")

app = Celery("dsar_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each task is defined beside the service it calls; these modules hold them.
app.conf.imports = (
    "cases.harvest.window",
    "cases.harvest.watchdog",
    "cases.reports.generation",
    "cases.reports.delivery",
    "cases.reports.links",
    "cases.jobs.reminders",
    "cases.jobs.retention",
    "cases.jobs.anchor",
    "cases.reports.integrity",
)


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web server (settings.LOGGING: JSON lines with task ids and
    personal data masked) instead of Celery's own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_ready.connect
def mark_worker_ready(**kwargs) -> None:
    """Touch CELERY_READY_FILE once the worker takes tasks (`make run` waits for it before it
    prints the address and passwords, so they come after the start-up log)."""
    path = os.environ.get("CELERY_READY_FILE")
    if path:
        with open(path, "a"):
            os.utime(path)
