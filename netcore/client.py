"""The Netcore CE client: one request per window, typed records, typed errors, retries.

The request is the documented one: POST {base}/apiv2 with `type`, `activity` and `apikey` in the
query and a form body `data=<JSON>` holding primary_key, channel and from/to dates (DDMMYYYY).
Transient errors are retried with tenacity (exponential backoff with jitter, Retry-After for 429);
permanent ones are raised at once. A caller's deadline bounds a whole fetch: requests, backoff
and waits for the rate limiter. The API key never leaves this module except in the request, and
the request goes only to an allowed address (netcore.endpoints) that the key was entered for;
redirects are never followed. Error messages are classified causes; what the server wrote goes to
the log only (key and primary key masked).
"""

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import requests
import tenacity
from django.conf import settings
from django.db import connections
from django.utils import timezone

from netcore.encryption import DecryptionFailed
from netcore.endpoints import base_url_refusal
from netcore.errors import (
    ApiKeyUnreadable,
    BadApiKey,
    BadResponse,
    ConnectionFailed,
    EndpointRefused,
    NetcoreError,
    RateLimited,
    Redirected,
    RequestRejected,
    RequestTimeout,
    ServerError,
    TransientError,
    UnexpectedResponse,
)
from netcore.ratelimit import RateLimiter, default_rate_limiter
from netcore.records import ActivityRecord, record_from_raw
from netcore.redaction import install_log_filter, mask_api_key
from netcore.windows import MAX_WINDOW_DAYS

if TYPE_CHECKING:
    from netcore.models import NetcoreAccount

__all__ = [
    "ActivityRecord",
    "CheckOutcome",
    "CheckResult",
    "NetcoreClient",
    "WindowResult",
    "check_account",
]

logger = logging.getLogger(__name__)
install_log_filter()

CHANNELS = ("email", "sms")
QUERY = {"type": "export_data", "activity": "get_user_channel_activity_data"}
# The account check asks for one day of a primary key nobody has.
CHECK_PRIMARY_KEY = "connection-check@example.invalid"
_ERROR_EXCERPT_CHARS = 200
# A `status` value shown in a cause only when it looks like one ("fail", "error").
_STATUS_WORD = re.compile(r"[A-Za-z_]{1,20}")


@dataclass(frozen=True)
class WindowResult:
    """The records of one window, in Netcore's order, and warnings about records kept as-is."""

    records: list[ActivityRecord]
    warnings: list[str] = field(default_factory=list)


class CheckOutcome(StrEnum):
    OK = "ok"
    BAD_KEY = "bad key"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of an account check, with the cause when it is not ok."""

    outcome: CheckOutcome
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome is CheckOutcome.OK


def format_netcore_date(day: date) -> str:
    """A date as Netcore wants it: DDMMYYYY."""
    return day.strftime("%d%m%Y")


class NetcoreClient:
    """Calls one Netcore account. Thread-safe: each thread gets its own requests.Session.

    Arguments left as None take their values from settings (NETCORE_MAX_ATTEMPTS,
    NETCORE_CONNECT_TIMEOUT / NETCORE_READ_TIMEOUT, NETCORE_BACKOFF_INITIAL / _MAX,
    NETCORE_RETRY_AFTER_MAX). `timeout` is seconds, or a (connect, read) pair.
    """

    def __init__(
        self,
        account: "NetcoreAccount",
        *,
        session: requests.Session | None = None,
        max_attempts: int | None = None,
        timeout: float | tuple[float, float] | None = None,
        backoff_initial: float | None = None,
        backoff_max: float | None = None,
        retry_after_max: float | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.account_name = account.name
        self.base_url = account.effective_base_url
        refusal = base_url_refusal(self.base_url)
        if refusal:
            raise EndpointRefused(f"account {account.name!r}: {refusal}")
        if not account.key_matches_base_url:
            raise EndpointRefused(
                f"account {account.name!r}: its API key was entered for another address than "
                f"{self.base_url}; enter the key again"
            )
        self.zone = account.zone
        self.max_rps = account.max_rps
        try:
            self._api_key = account.api_key
        except DecryptionFailed as exc:
            raise ApiKeyUnreadable(f"account {account.name!r}: {exc}") from None
        # Keyed by database too: deployments (and test databases) sharing one Redis have
        # accounts with the same ids.
        database = connections[account._state.db or "default"].settings_dict["NAME"]
        self._limiter_key = (
            f"{database}:account:{account.pk}" if account.pk else f"name:{account.name}"
        )
        self._session = session
        self._local = threading.local()
        self.max_attempts = max_attempts or settings.NETCORE_MAX_ATTEMPTS
        if timeout is None:
            timeout = (settings.NETCORE_CONNECT_TIMEOUT, settings.NETCORE_READ_TIMEOUT)
        self.timeout = timeout
        self.backoff_initial = (
            settings.NETCORE_BACKOFF_INITIAL if backoff_initial is None else backoff_initial
        )
        self.backoff_max = settings.NETCORE_BACKOFF_MAX if backoff_max is None else backoff_max
        self.retry_after_max = (
            settings.NETCORE_RETRY_AFTER_MAX if retry_after_max is None else retry_after_max
        )
        self.rate_limiter = rate_limiter or default_rate_limiter()
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def __repr__(self) -> str:
        return f"<NetcoreClient account={self.account_name!r} base_url={self.base_url!r}>"

    # Public API

    def fetch_window(
        self,
        *,
        primary_key: str,
        channel: str,
        start: date,
        end: date,
        deadline: float | None = None,
    ) -> WindowResult:
        """Fetch one window (start..end inclusive, at most 7 days) of one primary key's activity.

        Retries transient errors up to max_attempts; raises a TransientError when they are
        exhausted and a PermanentError at once. Raises ValueError for a malformed window.
        `deadline` (time.monotonic()) bounds the whole call: no request, wait for the rate
        limiter or backoff reaches past it; when it comes, the last error is raised.
        """
        self._validate_window(primary_key=primary_key, channel=channel, start=start, end=end)

        def past_deadline(retry_state: tenacity.RetryCallState) -> bool:
            return deadline is not None and (
                time.monotonic() + retry_state.upcoming_sleep >= deadline
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts) | past_deadline,
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(TransientError),
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(
            self._attempt,
            primary_key=primary_key,
            channel=channel,
            start=start,
            end=end,
            deadline=deadline,
        )

    def check(self) -> CheckResult:
        """Make one real request (one day, a primary key nobody has) and say whether it worked."""
        yesterday = timezone.now().astimezone(self.zone).date() - timedelta(days=1)
        try:
            self._attempt(
                primary_key=CHECK_PRIMARY_KEY, channel="email", start=yesterday, end=yesterday
            )
        except BadApiKey as exc:
            return CheckResult(CheckOutcome.BAD_KEY, str(exc))
        except (ConnectionFailed, RequestTimeout) as exc:
            return CheckResult(CheckOutcome.UNREACHABLE, str(exc))
        except NetcoreError as exc:
            return CheckResult(CheckOutcome.FAILED, str(exc))
        return CheckResult(CheckOutcome.OK, f"{self.base_url} answered with success")

    # One attempt

    def _validate_window(self, *, primary_key: str, channel: str, start: date, end: date) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
        if not primary_key:
            raise ValueError("primary_key is empty")
        if end < start:
            raise ValueError(f"window ends ({end}) before it starts ({start})")
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise ValueError(f"window {start}..{end} is longer than {MAX_WINDOW_DAYS} days")

    def _attempt(
        self,
        *,
        primary_key: str,
        channel: str,
        start: date,
        end: date,
        deadline: float | None = None,
    ) -> WindowResult:
        data = json.dumps(
            {
                "primary_key": primary_key,
                "channel": channel,
                "from_date": format_netcore_date(start),
                "to_date": format_netcore_date(end),
            },
            ensure_ascii=False,
        )
        self.rate_limiter.acquire(self._limiter_key, self.max_rps, deadline=deadline)
        response, error = self._post(data, self._timeout_before(deadline))
        if error is not None:
            raise error
        result = self._parse(response, primary_key)
        # Dates and counts only: the primary key is personal data.
        logger.debug(
            "Netcore %s %s..%s from account %r: %d records, %d warnings",
            channel,
            start,
            end,
            self.account_name,
            len(result.records),
            len(result.warnings),
        )
        return result

    def _timeout_before(self, deadline: float | None) -> float | tuple[float, float]:
        """The request's (connect, read) timeout, cut short so it ends by `deadline`."""
        if deadline is None:
            return self.timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise RequestTimeout(
                f"no time left before the deadline for a request to {self.base_url} "
                f"(account {self.account_name!r})"
            )
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        return (min(connect, left), min(read, left))

    def _post(
        self, data: str, timeout: float | tuple[float, float]
    ) -> tuple[requests.Response | None, NetcoreError | None]:
        # The error is built here and raised by the caller, outside this except block, so it
        # carries no __context__ holding requests' exception (whose text has the URL and key).
        url = f"{self.base_url}/apiv2"
        params = {**QUERY, "apikey": self._api_key}
        where = f"{self.base_url} (account {self.account_name!r})"
        try:
            # Not streamed: the whole body is read here, so a truncated one fails here.
            response = self._http().post(
                url,
                params=params,
                data={"data": data},
                timeout=timeout,
                # The key and the primary key go to the account's address and nowhere else.
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            return None, RequestTimeout(self._mask(f"no answer in time from {where}: {exc}"))
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            return None, BadResponse(
                self._mask(f"truncated or undecodable body from {where}: {exc}")
            )
        except requests.ConnectionError as exc:
            return None, ConnectionFailed(self._mask(f"cannot reach {where}: {exc}"))
        except requests.RequestException as exc:
            return None, RequestRejected(self._mask(f"request to {where} cannot be sent: {exc}"))
        return response, None

    def _parse(self, response: requests.Response, primary_key: str) -> WindowResult:
        status = response.status_code
        where = f"{self.base_url} (account {self.account_name!r})"
        if not 200 <= status < 300 and status != 429:  # throttling is routine: not logged
            self._log_answer(where, status, response.content, primary_key)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(
                self._mask(f"rate limited by {where}: HTTP 429, Retry-After {retry_after}"),
                retry_after=retry_after,
            )
        if status >= 500:
            raise ServerError(
                self._mask(f"server error from {where}: HTTP {status}"), status_code=status
            )
        if 300 <= status < 400:
            raise Redirected(
                self._mask(f"{where} answered with a redirect (HTTP {status}), not followed")
            )
        if status in (401, 403):
            raise BadApiKey(self._mask(f"API key refused by {where}: HTTP {status}"))
        if not 200 <= status < 300:
            raise RequestRejected(
                self._mask(f"request rejected by {where}: HTTP {status}"), status_code=status
            )
        try:
            payload = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            self._log_answer(where, status, response.content, primary_key)
            raise BadResponse(
                self._mask(f"body from {where} is not JSON ({len(response.content)} bytes)")
            ) from None
        return self._parse_payload(payload, where, primary_key)

    def _parse_payload(self, payload: Any, where: str, primary_key: str) -> WindowResult:
        if not isinstance(payload, dict):
            raise UnexpectedResponse(
                f"answer from {where} is JSON {type(payload).__name__}, not an object"
            )
        if payload.get("status") != "success":
            detail = _text_excerpt(
                payload.get("details") or payload.get("message") or payload.get("error") or ""
            )
            self._log_answer(
                where, 200, json.dumps(payload, ensure_ascii=False).encode(), primary_key
            )
            status = payload.get("status")
            shown = (
                repr(status) if isinstance(status, str) and _STATUS_WORD.fullmatch(status) else None
            )
            if _mentions_api_key(detail):
                raise BadApiKey(self._mask(f"API key refused by {where} (status {shown})"))
            raise RequestRejected(
                self._mask(f"{where} answered status {shown or 'other than success'}")
            )
        result = payload.get("result")
        activity = result.get("channel_activity") if isinstance(result, dict) else None
        if not isinstance(activity, list):
            raise UnexpectedResponse(
                f"answer from {where} has status success but no list in result.channel_activity"
            )
        records, warnings = [], []
        for index, raw in enumerate(activity):
            if not isinstance(raw, dict):
                raise UnexpectedResponse(
                    f"record {index} from {where} is JSON {type(raw).__name__}, not an object"
                )
            record, warning = record_from_raw(raw, self.zone)
            records.append(record)
            if warning:
                warnings.append(f"record {index}: {warning}")
        return WindowResult(records=records, warnings=warnings)

    # Plumbing

    def _http(self) -> requests.Session:
        if self._session is not None:
            return self._session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _mask(self, text: str) -> str:
        return mask_api_key(text, self._api_key)

    def _log_answer(self, where: str, status: int, body: bytes, primary_key: str) -> None:
        """What the server wrote, for whoever reads the log: never part of an error's message
        (a cause officers see must not carry a server's text)."""
        excerpt = _text_excerpt(body.decode("utf-8", "replace"))
        if primary_key:
            excerpt = excerpt.replace(primary_key, "[primary key]")
        logger.warning("Netcore %s answered HTTP %s: %s", where, status, self._mask(excerpt))

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.retry_after_max)
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
        )
        return backoff(retry_state)

    def _log_retry(self, retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        logger.warning(
            "Netcore attempt %d/%d failed (%s: %s); retrying in %.2fs",
            retry_state.attempt_number,
            self.max_attempts,
            type(error).__name__,
            self._mask(str(error)),
            delay,
        )


def check_account(account: "NetcoreAccount", **client_options: Any) -> CheckResult:
    """Check an account with one real request; a key that cannot be decrypted is a failure too."""
    try:
        client = NetcoreClient(account, **client_options)
    except (ApiKeyUnreadable, EndpointRefused) as exc:
        return CheckResult(CheckOutcome.FAILED, str(exc))
    return client.check()


def parse_retry_after(value: str | None) -> float | None:
    """Read a Retry-After header (seconds, possibly fractional, or an HTTP date) as seconds."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(when.tzinfo)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


def _text_excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    if len(text) > _ERROR_EXCERPT_CHARS:
        return text[:_ERROR_EXCERPT_CHARS] + "…"
    return text


def _mentions_api_key(detail: str) -> bool:
    lowered = detail.lower()
    return "api key" in lowered or "apikey" in lowered or "api_key" in lowered
