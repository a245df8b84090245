"""Every Celery task has soft and hard time limits from settings, and settings that would cross
them, or let a slow window be taken for a dead worker's, are refused at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsar_portal.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]
TASKS = {
    "cases.tasks.harvest_window_task": "HARVEST_WINDOW",
    "cases.tasks.harvest_watchdog_task": "HARVEST_WATCHDOG",
    "cases.tasks.report_generate_task": "REPORT_BUILD",
    "cases.tasks.case_file_build_task": "REPORT_BUILD",
    "cases.tasks.deadline_reminders_task": "REMINDERS",
    "cases.tasks.retention_purge_task": "RETENTION_PURGE",
    # Short tasks (a retry is a new task): the default limits, CELERY_TASK_*_TIME_LIMIT.
    "cases.tasks.delivery_send_task": "CELERY_TASK",
    "cases.tasks.delivery_watchdog_task": "CELERY_TASK",
    "cases.tasks.link_code_send_task": "CELERY_TASK",
    "cases.tasks.audit_anchor_task": "CELERY_TASK",
    "cases.tasks.report_file_alert_task": "CELERY_TASK",
}
SHOW_LIMITS = (
    "import json, django; django.setup(); from dsar_portal.celery import app; "
    "app.loader.import_default_modules(); "
    "print(json.dumps({n: [t.soft_time_limit, t.time_limit] for n, t in app.tasks.items() "
    "if n.startswith('cases.')}))"
)


def run_portal(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dsar_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_task_has_soft_and_hard_limits():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.startswith("cases.")}
    assert set(ours) == set(TASKS)  # a new task needs its limits (and a line here)
    for name, task in ours.items():
        assert 0 < task.soft_time_limit < task.time_limit, name


def test_the_limits_come_from_the_environment():
    limits = {f"{prefix}_SOFT_TIME_LIMIT": "7" for prefix in TASKS.values()}
    limits |= {f"{prefix}_TIME_LIMIT": "11" for prefix in TASKS.values()}
    result = run_portal(SHOW_LIMITS, **limits)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {name: [7, 11] for name in TASKS}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HARVEST_WINDOW_SOFT_TIME_LIMIT": "400", "HARVEST_WINDOW_TIME_LIMIT": "360"},
            "soft time limit must be positive and below the hard one",
        ),
        (
            {"HARVEST_STALE_AFTER_SECONDS": "60", "HARVEST_HEARTBEAT_SECONDS": "30"},
            "HARVEST_STALE_AFTER_SECONDS must be at least three HARVEST_HEARTBEAT_SECONDS",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start_up(env, message):
    result = run_portal("import django; django.setup()", **env)
    assert result.returncode != 0
    assert message in result.stderr
