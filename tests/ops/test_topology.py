"""The production topology, natively: docker-compose.yml's migrate, web (gunicorn), two Celery
workers and beat run as processes against the real PostgreSQL and Redis. An officer signs in over
HTTP, logs a request, collection runs on the workers against the sandbox, identity is verified,
a report is generated on a worker and sent by a worker after the officer confirms it (email
written to files, the PDF encrypted with the passphrase the confirmation showed), and beat
drives the watchdog on the workers. Then every process is stopped with SIGTERM and exits 0, and
no log line holds the subject's email, phone, primary keys or the API key."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from email import message_from_bytes
from io import BytesIO
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from pypdf import PdfReader

from cases.models import Case, Report
from netcore.sandbox import Sandbox
from netcore.services import account_create
from tests import celery_workers
from tests.delivery_fixtures import dpo_profile
from tests.factories import OfficerFactory
from tests.ops.topology import BASE_DIR, native_command

pytestmark = [pytest.mark.xdist_group("celery")]

API_KEY = "topology-sandbox-key-5f1c9e"
PASSWORD = "correct horse battery staple"
SUBJECT_EMAIL = "ana.topology@example.org"
SUBJECT_PHONE = "+447700900461"
CUSTOMER_ID = "CUST-TOPO-90210"
START_TIMEOUT = 45


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Processes:
    """The portal's processes, each logging to its own file; all stopped at the end."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir, self.env = log_dir, env
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        return self.started[name].log.read_text(errors="replace")

    def alive(self, name: str) -> bool:
        if self.started[name].poll() is not None:
            raise AssertionError(f"{name} exited early:\n{self.log(name)[-3000:]}")
        return True

    def stop(self, name: str, timeout: float = 30) -> int:
        """SIGTERM (gunicorn and Celery shut down gracefully on it); the exit status."""
        process = self.started[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        finally:
            self.kill(name)

    def kill(self, name: str) -> None:
        process = self.started[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything left of its group
        if process.poll() is None:
            process.wait(timeout=10)

    def kill_all(self) -> None:
        for name in self.started:
            self.kill(name)


class Officer:
    """An officer's browser, reduced to requests: pages, forms with their CSRF tokens."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base_url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
        return response

    def submit(self, form_page: str, action: str, data: dict, **kwargs) -> requests.Response:
        """Post `data` to `action` with the CSRF token of the form on `form_page`."""
        page = self.get(form_page).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.http.post(
            self.base_url + action,
            data={"csrfmiddlewaretoken": token, **data},
            timeout=60,
            **kwargs,
        )


def test_web_two_workers_and_beat_answer_a_request_end_to_end(
    transactional_db, postgres, redis_url, tmp_path, caplog
):
    caplog.set_level("DEBUG")
    officer = OfficerFactory(username="olivia", email="olivia@corp.example", password=PASSWORD)
    (tmp_path / "mail").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "EMAIL_URL"},
        "DATABASE_URL": celery_workers.test_database_url(),
        "REDIS_URL": redis_url,
        # A queue of this test's own on the shared Redis.
        "CELERY_TASK_DEFAULT_QUEUE": (queue := f"topology-{uuid.uuid4().hex[:12]}"),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "HARVEST_WATCHDOG_SECONDS": "1",
        "REPORT_RENDER_PROCESSES": "1",
        "NETCORE_BACKOFF_INITIAL": "0.01",
        "NETCORE_BACKOFF_MAX": "0.05",
    }
    port = free_port()
    processes = Processes(tmp_path, env)
    try:
        with Sandbox(api_key=API_KEY, seed=61, events_per_day=2) as sandbox:
            account_create(name="Sandbox", base_url=sandbox.url, api_key=API_KEY, max_rps=500)

            migrate = processes.start("migrate", native_command("migrate"))
            assert migrate.wait(timeout=120) == 0, processes.log("migrate")
            processes.start("web", native_command("web", port=port))
            processes.start("worker1", native_command("worker", node="w1"))
            processes.start("worker2", native_command("worker", node="w2"))
            processes.start("beat", native_command("beat"))
            base_url = f"http://127.0.0.1:{port}"

            def web_healthy() -> bool:
                processes.alive("web")
                try:
                    return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
                except requests.RequestException:  # still starting
                    return False

            wait_for(web_healthy, timeout=START_TIMEOUT, what="the web server")
            for name in ("worker1", "worker2"):
                wait_for(
                    lambda name=name: processes.alive(name) and " ready." in processes.log(name),
                    timeout=START_TIMEOUT,
                    what=name,
                )
                # Each consumes the work's queue and the watchdog's.
                queues = re.findall(r"\.> (\S+) exchange=", processes.log(name))
                assert queues == [queue, f"{queue}.watchdog"], queues

            # Sign in, as a browser would: the CSRF token from the login form.
            browser = Officer(base_url)
            signed_in = browser.submit(
                "/accounts/login/",
                "/accounts/login/",
                {"username": "olivia", "password": PASSWORD},
            )
            assert signed_in.status_code == 200 and signed_in.url == f"{base_url}/"
            assert "Dashboard" in signed_in.text

            # Log the request.
            today = timezone.localdate()
            created = browser.submit(
                "/cases/new/",
                "/cases/new/",
                {
                    "subject_name": "Ana Topology",
                    "subject_email": SUBJECT_EMAIL,
                    "primary_keys": f"{SUBJECT_EMAIL}\n{SUBJECT_PHONE}\n{CUSTOMER_ID}",
                    "channels": ["email", "sms"],
                    "search_from": "2025-03-01",
                    "search_to": "2025-03-14",
                    "received_on": today.isoformat(),
                    "assigned_officer": str(officer.pk),
                },
            )
            assert created.status_code == 200, created.text[-2000:]
            reference = re.search(r"/cases/(DSAR-\d{4}-\d{4})/$", created.url).group(1)
            case_page = f"/cases/{reference}/"

            # Collection runs on the workers: 3 keys x 2 channels x 2 weeks.
            browser.submit(case_page, f"{case_page}collect/", {})
            case = Case.objects.get(reference=reference)
            wait_for(
                lambda: Case.objects.get(pk=case.pk).status != "collecting",
                timeout=60,
                what="the collection",
            )
            case.refresh_from_db()
            assert case.status == "collected"
            assert case.windows.count() == 12
            workers_used = set(case.windows.values_list("worker", flat=True))
            expected_events = sum(
                len(sandbox.expected_activity(key, channel, case.search_from, case.search_to))
                for key in case.primary_keys
                for channel in case.channels
            )
            assert case.events.count() == expected_events > 0
            progress = browser.get(f"{case_page}progress/").json()
            assert progress["percent"] == 100

            # Identity, then the report: generated on a worker, sent by the web server.
            verified = browser.submit(
                case_page, f"{case_page}verify/", {"method": "email_control", "notes": ""}
            )
            assert verified.status_code == 200
            browser.submit(case_page, f"{case_page}reports/", {})
            wait_for(
                lambda: Report.objects.filter(case=case).exclude(status="generating").exists(),
                timeout=90,
                what="the report",
            )
            report = Report.objects.get(case=case)
            assert report.status == "ready", report.error
            assert report.event_count == expected_events
            pdf = browser.get(f"{case_page}reports/1.pdf")
            assert pdf.content.startswith(b"%PDF")
            # The confirmation step, then "Send now": a worker sends it.
            dpo_profile()
            confirm = f"{case_page}reports/1/send/?channel=attachment"
            form = dict(
                re.findall(
                    r'<input type="hidden" name="(\w+)" value="([^"]*)"', browser.get(confirm).text
                )
            )
            sent = browser.submit(confirm, f"{case_page}reports/1/send/", {**form, "noted": "on"})
            assert sent.status_code == 200 and "/deliveries/" in sent.url, sent.text[-2000:]
            wait_for(
                lambda: Case.objects.get(pk=case.pk).status == "sent", timeout=30, what="the send"
            )

            (mail_file,) = (tmp_path / "mail").iterdir()
            message = message_from_bytes(mail_file.read_bytes())
            assert message["To"] == SUBJECT_EMAIL
            attachments = [p for p in message.walk() if p.get_filename()]
            assert [p.get_filename() for p in attachments] == [f"{reference}-access-report.pdf"]
            attached = PdfReader(BytesIO(attachments[0].get_payload(decode=True)))
            assert attached.decrypt(form["passphrase"]) != 0
            assert len(attached.pages) == len(PdfReader(BytesIO(pdf.content)).pages)

            # Beat queues the watchdog every second; a worker runs it.
            wait_for(
                lambda: (
                    "cases.tasks.harvest_watchdog_task"
                    in processes.log("worker1") + processes.log("worker2")
                ),
                timeout=30,
                what="a watchdog run queued by beat",
            )
            assert browser.get("/healthz").json() == {"status": "ok"}

        # Stopped cleanly: SIGTERM, and each exits 0.
        for name in ("beat", "web", "worker1", "worker2"):
            assert processes.stop(name) == 0, f"{name}:\n{processes.log(name)[-3000:]}"
    finally:
        processes.kill_all()

    # Both workers took windows (each records its host and pid on the windows it claims).
    assert len(workers_used) == 2, workers_used
    logs = {name: processes.log(name) for name in processes.started}
    # Task ids are on the workers' lines; request ids on the web server's.
    assert re.search(r'"task_id": "[0-9a-f-]{36}"', logs["worker1"] + logs["worker2"])
    assert '"request_id": "' in logs["web"]
    logs["test"] = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    secrets = [SUBJECT_EMAIL, SUBJECT_PHONE, SUBJECT_PHONE.lstrip("+"), CUSTOMER_ID, API_KEY]
    for name, text in logs.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} in the {name} log"
