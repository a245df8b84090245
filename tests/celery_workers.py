"""Real Celery worker processes for tests, on the test database and a queue of their own.

The broker is the one the settings name: Redis when REDIS_URL is set (CI), else kombu's
filesystem transport. Tests that use workers share the xdist group "celery", so one pytest
process at a time drives them.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from dsar_portal.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30


def test_database_url() -> str:
    """A DATABASE_URL for the database this test run is using (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerPool:
    """Starts and stops worker processes that consume queues private to a test: a default queue
    of its own (set here too, for the tasks this process sends) and its watchdog queue."""

    def __init__(self, log_dir: Path) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self._previous_queue = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue

    def environment(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of this pool's processes, with `env` on top."""
        return {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            # Its queues: this one and its watchdog queue (as production workers, no -Q).
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "NETCORE_BACKOFF_INITIAL": "0.01",
            "NETCORE_BACKOFF_MAX": "0.05",
            **(env or {}),
        }

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run `manage.py ARGS` as the workers would see it (their database, broker, queue)."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.environment(env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start(self, *, concurrency: int = 4, env: dict[str, str] | None = None) -> subprocess.Popen:
        name = f"w{len(self.processes) + 1}-{self.queue}"
        log = self.log_dir / f"{name}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dsar_portal",
                "worker",
                "-n",
                f"{name}@%h",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=self.environment(env),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.processes.append(process)
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL: the worker gets no chance to finish or hand anything back."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        app.conf.task_default_queue = self._previous_queue
