"""Logs: JSON lines in production with request and task ids, and never an API key, a subject's
email, phone or primary key in clear, whatever path a harvest takes."""

import io
import json
import logging
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import harvest_window_task
from dsar_portal.logs import ContextFilter, JsonFormatter, RedactionFilter, redact
from netcore.sandbox import Sandbox
from netcore.services import account_create
from tests.factories import make_case

API_KEY = "logs-sandbox-key-7d2e41b9"
EMAIL = "zoe.logtest@example.net"
PHONE = "+447700900777"
CUSTOMER_ID = "CUST-LOGS-31337"


def portal_handler(fmt: str = "json") -> tuple[logging.Handler, io.StringIO]:
    """A handler set up as settings.LOGGING sets up the console one, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter())
    return handler, stream


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to ana@example.com.", "to ***."),
        ("call +44 7700 900461 now", "call *** now"),
        ("mobile 07700900461", "mobile ***"),
        ("GET /apiv2?type=x&apikey=abc123&y=1", "GET /apiv2?type=x&apikey=***&y=1"),
        (
            "window 12345: 2025-03-01..2025-03-07, 200 1234",
            "window 12345: 2025-03-01..2025-03-07, 200 1234",
        ),
        ("at 2026-11-27T19:48:15.129+00:00", "at 2026-11-27T19:48:15.129+00:00"),
    ],
)
def test_redaction(text, expected):
    assert redact(text) == expected


def test_our_secrets_are_masked(settings):
    settings.NETCORE_SANDBOX_API_KEY = "sandbox-secret-0123456789"
    assert redact("key sandbox-secret-0123456789 used") == "key *** used"


def test_json_lines_with_the_exception_masked():
    handler, stream = portal_handler()
    logger = logging.getLogger("tests.logs.json")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad address {EMAIL}")
        except ValueError:
            logger.exception("failed for %s", EMAIL)
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "ERROR" and entry["logger"] == "tests.logs.json"
    assert entry["message"] == "failed for ***"
    assert "ValueError: bad address ***" in entry["exception"]
    assert EMAIL not in stream.getvalue()


@pytest.mark.django_db
def test_every_response_has_a_request_id_on_its_log_lines(client, caplog):
    caplog.set_level("INFO", logger="dsar_portal.requests")
    response = client.get(f"/healthz?who={EMAIL}")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    (record,) = [r for r in caplog.records if r.name == "dsar_portal.requests"]
    # The path without its query string: a search for an email address stays out of the log.
    assert record.getMessage().startswith("GET /healthz 200 ")
    assert EMAIL not in record.getMessage()
    ContextFilter().filter(record)
    assert record.request_id == request_id


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept_when_it_looks_like_one(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-4f2a9c01").headers["X-Request-ID"] == (
        "edge-4f2a9c01"
    )
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected\nline')
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


@pytest.mark.django_db(transaction=True)
def test_a_harvest_logs_no_personal_data_nor_the_key(officer, caplog, settings):
    """A collection with faults and retries, once on the command line and once as Celery tasks
    (eagerly): no log line, raw or formatted, holds the key, the email, phone or a primary key."""
    settings.NETCORE_BACKOFF_INITIAL = 0.001
    settings.NETCORE_BACKOFF_MAX = 0.002
    settings.NETCORE_MAX_ATTEMPTS = 2
    caplog.set_level("DEBUG")
    handler, stream = portal_handler()
    logging.getLogger().addHandler(handler)
    try:
        with Sandbox(
            api_key=API_KEY, seed=7, events_per_day=2, error_rate=0.4, retry_after="0"
        ) as sandbox:
            account_create(name="Sandbox", base_url=sandbox.url, api_key=API_KEY, max_rps=500)
            case = make_case(
                actor=officer,
                subject_email=EMAIL,
                primary_keys=[EMAIL, PHONE, CUSTOMER_ID],
                channels=["email", "sms"],
                search_from=date(2025, 5, 1),
                search_to=date(2025, 5, 21),
            )
            # With this many faults some windows fail for good: the command says so, and the
            # failures are logged too.
            with pytest.raises(CommandError, match="windows failed"):
                call_command("harvest", case.reference, "--sync", stdout=io.StringIO())
            assert case.events.exists()
            # And as Celery tasks (with their task ids on the lines): the officer's retry.
            planning.harvest_retry_failed(case=case, actor=officer, enqueue=False)
            for window_id in queue_here(case.pk):
                harvest_window_task.apply(args=[window_id])
    finally:
        logging.getLogger().removeHandler(handler)

    raw = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {getattr(r, 'args', '')}" for r in caplog.records
    )
    formatted = stream.getvalue()
    assert "Netcore" in raw  # the harvest did log
    assert '"task_id": "' in formatted
    for secret in (API_KEY, EMAIL, PHONE, PHONE.lstrip("+"), CUSTOMER_ID):
        assert secret not in raw, f"{secret!r} passed to a log call"
        assert secret not in formatted, f"{secret!r} in a log line"
