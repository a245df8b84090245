"""A faithful fake of Netcore CE's user channel activity API, served on 127.0.0.1.

For the demo (`python manage.py netcore_sandbox`) and the tests (`with Sandbox(...) as sandbox:`).
Activity is deterministic: `sandbox_activity(primary_key, channel, day, seed=, events_per_day=)`
is the exact list of records the sandbox serves for that day, so tests compute what to expect.

How we read what the API document leaves open:
- Endpoint `POST /apiv2`; another path answers 404, another method 405 (JSON "fail" bodies).
- `type`, `activity` and `apikey` come from the query string (as in the document's URLs and
  curl call); the document's table calls them body parameters, so form fields are accepted too.
- The body is read as a form (`data=<JSON>`) whatever its Content-Type: the document's curl call
  sends it with `Content-Type: application/json`.
- A missing or wrong API key: HTTP 401 with {"status": "fail", "details": "Invalid API key."}.
- Any other invalid request: HTTP 200 with {"status": "fail", "details": <the cause>}: wrong
  `type` or `activity`; `data` missing, not JSON or not an object; `primary_key` missing;
  `channel` not email|sms; a date not DDMMYYYY or not a real date; from after to; more than seven
  days (inclusive).
- Success: HTTP 200 in the documented shape, echoing from_date, to_date and channel, records in
  date order.
- Faults (only for requests with the right key): 429 with Retry-After, 500, a truncated body (the
  full Content-Length announced, half sent, connection closed), or a slow answer. Each is decided
  from a hash of the seed, the request (type, activity and data, not the key) and how many times
  that same request was seen before, so a run is reproducible whatever the order or concurrency of
  requests, and a request retried again and again gets through after `max_faults_per_request`.
"""

import hashlib
import json
import logging
import random
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from netcore.redaction import mask_api_key
from netcore.windows import MAX_WINDOW_DAYS

logger = logging.getLogger(__name__)

DEFAULT_EVENTS_PER_DAY = 4
EXPORT_TYPE = "export_data"
EXPORT_ACTIVITY = "get_user_channel_activity_data"
MAX_BODY_BYTES = 1_000_000

EMAIL_MESSAGE_NAMES = (
    "Sample EMAil broadcast to check all activities",
    "Spring sale: 20% off everything",
    "Καλοκαιρινές προσφορές: έως 40% έκπτωση",
    "Новинки недели специально для вас",
    "दिवाली धमाका ऑफ़र: सिर्फ़ आज",
    "Your weekly digest",
)
SMS_MESSAGE_NAMES = (
    "Order shipped notification",
    "Доставка сегодня с 10:00 до 14:00",
    "आपका ऑर्डर भेज दिया गया है",
    "Ενημέρωση παράδοσης παραγγελίας",
    "Loyalty points reminder",
)
LINKS = (
    "http://www.cricbuzz.com/[EMAIL]",
    "https://shop.example.com/offers/spring?utm_source=netcore&utm_medium=email",
    "https://shop.example.com/el/προσφορές",
    "https://example.org/preferences?u=8f14e45f",
)
_DEVICES = (
    ("DESKTOP", "UNIX", "Google Chrome"),
    ("DESKTOP", "WINDOWS", "Microsoft Edge"),
    ("DESKTOP", "MAC OS", "Safari"),
    ("MOBILE", "ANDROID", "Google Chrome"),
    ("MOBILE", "IOS", "Safari"),
    ("TABLET", "IOS", "Safari"),
    ("DESKTOP", "LINUX", "Mozilla Firefox"),
)
# Values and fields the client does not know: it must keep them, not drop them.
_UNKNOWN_ACTIVITIES = {"email": ("bounce", "unsubscribe", "spam"), "sms": ("failed", "dnd")}
_UNKNOWN_FIELDS = (("campaign_tag", "spring-2025"), ("utm_source", "netcore"), ("ab_variant", "B"))
_MONTH_ABBREVIATIONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
_MONTH_ABBREVIATIONS += ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MINUTES_PER_DAY = 24 * 60


def format_activity_date(day: date, minute_of_day: int) -> str:
    """Netcore's activity_date: "23 Jul 2018 @3:33pm" (no leading zeros on day and hour)."""
    hour, minute = divmod(minute_of_day, 60)
    hour_12 = hour % 12 or 12
    meridiem = "am" if hour < 12 else "pm"
    month = _MONTH_ABBREVIATIONS[day.month - 1]
    return f"{day.day} {month} {day.year} @{hour_12}:{minute:02d}{meridiem}"


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def sandbox_activity(
    primary_key: str,
    channel: str,
    day: date,
    *,
    seed: int = 0,
    events_per_day: int = DEFAULT_EVENTS_PER_DAY,
    message_names: Sequence[str] | None = None,
    links: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The exact records the sandbox serves for one primary key, channel and day.

    Exactly `events_per_day` records, in time order: email sent/open/click with ip, device, os,
    browser and link; sms sent/delivered/click. Now and then two identical records, a field we do
    not know, an activity we do not know and a message id that is a string. `message_names` and
    `links` replace the built-in pools (e.g. hostile strings for safety tests).
    """
    rng = _rng("activity", seed, primary_key, channel, day.isoformat())
    names = list(
        message_names or (EMAIL_MESSAGE_NAMES if channel == "email" else SMS_MESSAGE_NAMES)
    )
    link_pool = list(links or LINKS)
    timed: list[tuple[int, dict[str, Any]]] = []
    while len(timed) < events_per_day:
        message_id: int | str = rng.randint(100, 99_999)
        if rng.random() < 0.1:
            message_id = str(message_id)
        base = {"message_id": message_id, "msg_name": rng.choice(names)}
        minute = rng.randrange(0, _MINUTES_PER_DAY - 90)
        device, os_name, browser = rng.choice(_DEVICES)
        ip = f"203.0.113.{rng.randint(1, 254)}"
        link = rng.choice(link_pool)
        timed.append((minute, {"activity": "sent", **base}))
        if channel == "email":
            if rng.random() < 0.7:
                minute += rng.randint(0, 45)
                opened = {"activity": "open", "ip": ip, **base}
                timed.append(
                    (minute, {**opened, "device": device, "os": os_name, "browser": browser})
                )
                if rng.random() < 0.5:
                    minute += rng.randint(0, 30)
                    clicked = {"activity": "click", "ip": ip, "link": link, **base}
                    timed.append(
                        (minute, {**clicked, "device": device, "os": os_name, "browser": browser})
                    )
        else:
            if rng.random() < 0.9:
                minute += rng.randint(0, 2)
                timed.append((minute, {"activity": "delivered", **base}))
                if rng.random() < 0.3:
                    minute += rng.randint(0, 60)
                    timed.append((minute, {"activity": "click", "link": link, "ip": ip, **base}))
    timed = timed[:events_per_day]
    if len(timed) >= 2 and rng.random() < 0.15:
        # Two identical records at minute resolution: distinct events, never to be merged.
        timed[-1] = timed[rng.randrange(len(timed) - 1)]
    if timed and rng.random() < 0.1:
        index = rng.randrange(len(timed))
        minute, record = timed[index]
        timed[index] = (minute, {**record, "activity": rng.choice(_UNKNOWN_ACTIVITIES[channel])})
    if timed and rng.random() < 0.2:
        index = rng.randrange(len(timed))
        minute, record = timed[index]
        name, value = rng.choice(_UNKNOWN_FIELDS)
        timed[index] = (minute, {**record, name: value})
    timed.sort(key=lambda item: item[0])
    return [
        {**record, "activity_date": format_activity_date(day, minute)} for minute, record in timed
    ]


def sandbox_activity_range(
    primary_key: str, channel: str, start: date, end: date, **options: Any
) -> list[dict[str, Any]]:
    """The records the sandbox serves for start..end inclusive (options as `sandbox_activity`)."""
    days = (end - start).days + 1
    return [
        record
        for offset in range(days)
        for record in sandbox_activity(
            primary_key, channel, start + timedelta(days=offset), **options
        )
    ]


@dataclass(frozen=True)
class CannedResponse:
    """A fixed answer the sandbox serves instead of its own (for parsing and error tests)."""

    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxRequest:
    """One request as the sandbox saw it (`at` is time.monotonic() on arrival)."""

    at: float
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    status: int
    fault: str | None


class _FailedValidation(Exception):
    def __init__(self, status: int, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.details = details


def _param(query: dict, form: dict, name: str) -> str:
    # The query string first (the document's URLs), then the form (the document's table).
    return (query.get(name) or form.get(name) or [""])[0]


_DDMMYYYY = re.compile(r"^[0-9]{8}$")


def _parse_ddmmyyyy(value: Any, name: str) -> date:
    if not isinstance(value, str) or not _DDMMYYYY.match(value):
        raise _FailedValidation(200, f"Invalid {name}: expected DDMMYYYY.")
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        raise _FailedValidation(200, f"Invalid {name}: not a calendar date.") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # close idle keep-alive connections rather than hold a thread for ever
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every answer, which a real API does not.
    disable_nagle_algorithm = True
    server: "_Server"

    def do_POST(self) -> None:
        self.server.sandbox.handle(self)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: %s", mask_api_key(format % args))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    sandbox: "Sandbox"


class Sandbox:
    """The fake API. `with Sandbox(api_key=KEY) as sandbox:` serves on sandbox.url (a free port).

    Knobs: latency_ms for every answer; throttle_rate (429 with Retry-After `retry_after`),
    error_rate (500), truncate_rate and slow_rate (slow_ms more) as fractions of requests;
    events_per_day, message_names and links shape the activity; `canned` replaces every answer
    with the given one(s), served in order, the last repeated. Every request is kept in
    `requests` unless record_requests is False (a long-running demo).
    """

    def __init__(
        self,
        *,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        events_per_day: int = DEFAULT_EVENTS_PER_DAY,
        latency_ms: float = 0,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        truncate_rate: float = 0.0,
        slow_rate: float = 0.0,
        slow_ms: float = 2000,
        retry_after: str = "1",
        max_faults_per_request: int | None = 3,
        message_names: Sequence[str] | None = None,
        links: Sequence[str] | None = None,
        canned: CannedResponse | Sequence[CannedResponse] | None = None,
        record_requests: bool = True,
    ) -> None:
        rates = (error_rate, throttle_rate, truncate_rate, slow_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if not api_key:
            raise ValueError("the sandbox needs an API key")
        if events_per_day < 0 or latency_ms < 0 or slow_ms < 0:
            raise ValueError("events_per_day, latency_ms and slow_ms cannot be negative")
        self.api_key = api_key
        self.host, self.port = host, port
        self.seed = seed
        self.events_per_day = events_per_day
        self.latency_ms, self.slow_ms = latency_ms, slow_ms
        self.error_rate, self.throttle_rate = error_rate, throttle_rate
        self.truncate_rate, self.slow_rate = truncate_rate, slow_rate
        self.retry_after = retry_after
        self.max_faults_per_request = max_faults_per_request
        self.message_names = list(message_names) if message_names else None
        self.links = list(links) if links else None
        if isinstance(canned, CannedResponse):
            canned = [canned]
        self.canned = list(canned) if canned else []
        self.record_requests = record_requests
        self.requests: list[SandboxRequest] = []
        self._lock = threading.Lock()
        self._seen: dict[str, list[int]] = {}  # request fingerprint -> [times seen, faults served]
        self._canned_served = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<Sandbox {self.url if self._server else 'stopped'}>"

    @property
    def url(self) -> str:
        """The base URL (without /apiv2) of the running sandbox."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.sandbox = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for the management command)."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.sandbox = self
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def request_times(self) -> list[float]:
        """Arrival times (time.monotonic()) of every request so far, in order."""
        with self._lock:
            return sorted(r.at for r in self.requests)

    def expected_activity(
        self, primary_key: str, channel: str, start: date, end: date
    ) -> list[dict]:
        """What this sandbox serves for start..end with its own seed and options."""
        return sandbox_activity_range(
            primary_key,
            channel,
            start,
            end,
            seed=self.seed,
            events_per_day=self.events_per_day,
            message_names=self.message_names,
            links=self.links,
        )

    # Serving one request

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = MAX_BODY_BYTES + 1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._answer(
                handler,
                arrived,
                parts.path,
                query,
                {},
                413,
                {"status": "fail", "details": "Request too large."},
            )
            return
        body = handler.rfile.read(length) if length else b""
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        fault = None
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        try:
            if self.canned:
                status, payload, headers = self._next_canned()
            else:
                self._check_route(handler.command, parts.path)
                self._check_key(query, form)
                fault = self._fault(query, form)
                status, payload, headers = self._answer_for(query, form, fault)
        except _FailedValidation as failure:
            status, payload, headers = (
                failure.status,
                {"status": "fail", "details": failure.details},
                {},
            )
        self._answer(handler, arrived, parts.path, query, form, status, payload, headers, fault)

    def _next_canned(self) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            canned = self.canned[min(self._canned_served, len(self.canned) - 1)]
            self._canned_served += 1
        return canned.status, canned.body, canned.headers

    def _check_route(self, method: str, path: str) -> None:
        if path.rstrip("/") != "/apiv2":
            raise _FailedValidation(404, "Not found.")
        if method != "POST":
            raise _FailedValidation(405, "Method not allowed: use POST.")

    def _check_key(self, query: dict, form: dict) -> None:
        given = _param(query, form, "apikey")
        if given != self.api_key:
            raise _FailedValidation(401, "Invalid API key.")

    def _fault(self, query: dict, form: dict) -> str | None:
        # The same request whatever its key or the order of its parameters.
        request = [_param(query, form, name) for name in ("type", "activity", "data")]
        fingerprint = hashlib.sha256(json.dumps(request).encode()).hexdigest()
        with self._lock:
            seen = self._seen.setdefault(fingerprint, [0, 0])
            occurrence, faults = seen
            seen[0] += 1
            limit = self.max_faults_per_request
            if limit is not None and faults >= limit:
                return None
            draw = _rng("fault", self.seed, fingerprint, occurrence).random()
            fault = None
            for name, rate in (
                ("throttle", self.throttle_rate),
                ("error", self.error_rate),
                ("truncate", self.truncate_rate),
                ("slow", self.slow_rate),
            ):
                if draw < rate:
                    fault = name
                    break
                draw -= rate
            if fault is not None:
                seen[1] += 1
            return fault

    def _answer_for(
        self, query: dict, form: dict, fault: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        if fault == "throttle":
            return (
                429,
                {"status": "fail", "details": "Too many requests."},
                {"Retry-After": self.retry_after},
            )
        if fault == "error":
            return (
                500,
                b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                {"Content-Type": "text/html"},
            )
        if fault == "slow":
            time.sleep(self.slow_ms / 1000)

        if _param(query, form, "type") != EXPORT_TYPE:
            raise _FailedValidation(200, "Invalid type.")
        if _param(query, form, "activity") != EXPORT_ACTIVITY:
            raise _FailedValidation(200, "Invalid activity.")
        raw_data = (form.get("data") or [""])[0]
        if not raw_data:
            raise _FailedValidation(200, "Missing data.")
        try:
            data = json.loads(raw_data)
        except ValueError:
            raise _FailedValidation(200, "Invalid data: not JSON.") from None
        if not isinstance(data, dict):
            raise _FailedValidation(200, "Invalid data: expected a JSON object.")
        primary_key = data.get("primary_key")
        if not isinstance(primary_key, str) or not primary_key.strip():
            raise _FailedValidation(200, "Missing primary_key.")
        channel = data.get("channel")
        if channel not in ("email", "sms"):
            raise _FailedValidation(200, "Invalid channel: expected email or sms.")
        start = _parse_ddmmyyyy(data.get("from_date"), "from_date")
        end = _parse_ddmmyyyy(data.get("to_date"), "to_date")
        if start > end:
            raise _FailedValidation(200, "from_date is after to_date.")
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise _FailedValidation(200, "Date range cannot exceed 7 days.")
        payload = {
            "status": "success",
            "result": {
                "channel_activity": self.expected_activity(primary_key, channel, start, end),
                "from_date": data["from_date"],
                "to_date": data["to_date"],
                "channel": channel,
            },
            "details": "Data fetched successfully.",
        }
        return 200, payload, {}

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        arrived: float,
        path: str,
        query: dict,
        form: dict,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        fault: str | None = None,
    ) -> None:
        if self.record_requests:
            with self._lock:
                self.requests.append(
                    SandboxRequest(arrived, handler.command, path, query, form, status, fault)
                )
        if isinstance(payload, bytes):
            body = payload
        elif isinstance(payload, str):
            body = payload.encode()
        else:
            body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        if fault == "truncate":
            handler.send_header("Connection", "close")
            handler.close_connection = True
            body = body[: len(body) // 2]
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
