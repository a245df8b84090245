"""Structured logs: one JSON object a line in production, a request id on every request's lines
and the task id on every task's lines, and no personal data or secret in clear.

Our own log calls pass ids (window, report, case reference), never a subject's email, phone or
primary key; the redaction filter is the second line of defence for lines we do not write
(libraries, exception messages).
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from netcore.redaction import MASK, mask_api_key

REQUEST_ID_HEADER = "X-Request-ID"
# An id sent by a proxy in front of us is kept when it looks like one (no log injection).
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers: international ones (+44 7700 900461, +1 (555) 010-0199) and runs of 9 to 15
# digits (07700900461). Dates, times, ids, status codes and sizes have fewer digits or no "+".
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d ().-]{5,}\d|\d{9,15})(?!\w)")


def _secrets() -> tuple[str, ...]:
    return tuple(
        value
        for value in (
            getattr(settings, "NETCORE_SANDBOX_API_KEY", ""),
            getattr(settings, "SECRET_KEY", ""),
            *str(getattr(settings, "FIELD_ENCRYPTION_KEY", "")).split(","),
        )
        if value and len(value) >= 8
    )


def redact(text: str) -> str:
    """`text` with API keys, our own secrets, email addresses and phone numbers masked."""
    text = mask_api_key(text, *_secrets())
    text = _EMAIL.sub(MASK, text)
    return _PHONE.sub(MASK, text)


class RedactionFilter(logging.Filter):
    """Masks personal data and secrets in a record's message (set on the handlers, so it sees
    every record that reaches them, whichever logger wrote it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _current_task_id() -> str | None:
    from celery._state import get_current_task

    task = get_current_task()
    return getattr(task.request, "id", None) if task is not None else None


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` to every record (None outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.task_id = getattr(record, "task_id", None) or _current_task_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and task ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Development lines, with the request or task id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"[{key[:-3]} {value}]"
            for key in ("request_id", "task_id")
            if (value := getattr(record, key, None))
        )
        record.ids = f" {ids}" if ids else ""
        return super().format(record)


class RequestIdMiddleware:
    """Gives every request an id (kept from X-Request-ID when a proxy set a sane one), puts it on
    every log line written while the request runs and on the response, and logs one line per
    request: method, path without the query string, status and duration."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.logger = logging.getLogger("dsar_portal.requests")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self.logger.info(
                "%s %s %s %.0fms",
                request.method,
                request.path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return response
        finally:
            request_id_var.reset(token)
