"""Typed errors of the Netcore client, each with its cause in the message.

Transient errors (the server or the network failed this time) are retried; permanent errors (the
request itself is wrong, or the key is) are not. RateLimiterUnavailable is neither: our own Redis
failed, and the rate limiter waits for it instead of spending Netcore attempts. The client masks
the API key in every message before raising, and never chains the exceptions of requests, whose
messages hold the URL. Messages are classified causes written by the client (status codes, kinds
of failure), never text from the server's answer: they are shown to officers and auditors as a
window's cause.
"""


class NetcoreError(Exception):
    """Base of every error the Netcore client raises."""


class TransientError(NetcoreError):
    """A failure that may go away: retry with backoff."""


class ServerError(TransientError):
    """Netcore answered with a 5xx status."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class RequestTimeout(TransientError):
    """No answer (or no complete answer) within the timeout."""


class ConnectionFailed(TransientError):
    """Netcore could not be reached: DNS, refused or reset connection, TLS failure."""


class RateLimited(TransientError):
    """Netcore answered 429; `retry_after` is its Retry-After in seconds when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadResponse(TransientError):
    """The body was truncated, not JSON or not decodable: most often a broken transfer."""


class RateLimiterUnavailable(NetcoreError):
    """The shared rate limiter (Redis) could not be asked for a slot, for as long as the caller
    could wait. Our own part failed, not Netcore: the client does not spend its Netcore
    attempts on it (the limiter has already waited for Redis to come back)."""


class PermanentError(NetcoreError):
    """A failure that the same request will meet again: do not retry."""


class BadApiKey(PermanentError):
    """Netcore refused the API key."""


class RequestRejected(PermanentError):
    """Netcore rejected the request (a 4xx status, or a status other than "success")."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class EndpointRefused(PermanentError):
    """The account's base URL may not be called (netcore.endpoints), or its stored key was entered
    for another address."""


class Redirected(PermanentError):
    """The server answered with a redirect. Redirects are never followed: the request carries the
    API key and a subject's primary key, which go only to the account's own address."""


class ApiKeyUnreadable(PermanentError):
    """The account's stored API key cannot be decrypted with FIELD_ENCRYPTION_KEY."""


class UnexpectedResponse(PermanentError):
    """A complete JSON answer whose shape is not the documented one."""
