"""The Celery app: configuration from Django settings (CELERY_*), the tasks' modules, queues.

- Two queues: the default one (CELERY_TASK_DEFAULT_QUEUE) for the work, and "<default>.watchdog"
  for the harvest watchdog, so that its runs never wait behind queued windows. A worker started
  without -Q consumes both.
- Before and after each task the thread's database connection is checked like a web request's
  (`close_old_connections`): a connection the server dropped is replaced instead of failing every
  task the thread runs, and CONN_MAX_AGE / CONN_HEALTH_CHECKS hold in workers too.
"""

import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_ready
from django.db import close_old_connections
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar_portal.settings")

WATCHDOG_TASK = "cases.tasks.harvest_watchdog_task"

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
    "cases.case_file.production",
)


def watchdog_queue(default_queue: str) -> str:
    return f"{default_queue}.watchdog"


def route_task(name, args, kwargs, options, task=None, **kw):
    """The watchdog to its own queue, named after the default queue in use when it is sent."""
    if name == WATCHDOG_TASK:
        return {"queue": watchdog_queue(app.conf.task_default_queue)}
    return None


app.conf.task_routes = (route_task,)


@app.on_after_configure.connect
def declare_queues(sender, source, **kwargs) -> None:
    """The queues a worker consumes unless told otherwise with -Q."""
    names = (source.task_default_queue, watchdog_queue(source.task_default_queue))
    # Each with its own exchange and routing key, as Celery makes a queue it was not told of.
    source.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in names)


@task_prerun.connect
@task_postrun.connect
def check_database_connections(sender, **kwargs) -> None:
    # A task run eagerly (apply) runs in its caller's transaction, on the caller's connection.
    if not sender.request.is_eager:
        close_old_connections()


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
