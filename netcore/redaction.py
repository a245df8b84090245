"""Keeping Netcore API keys out of text: exception messages, log records and reprs.

The API takes its key in the query string, so every URL we build carries it, and so do the
messages of requests' exceptions and urllib3's debug log lines. Everything that may print a URL
passes through here first.
"""

import logging
import re
from urllib.parse import quote, quote_plus

MASK = "***"

_APIKEY_PARAM = re.compile(r"(apikey=)[^&\s'\"<>]+", re.IGNORECASE)


def mask_api_key(text: str, *secrets: str) -> str:
    """Return `text` with every `apikey=` query value and every given secret replaced by ***."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, MASK)
    return _APIKEY_PARAM.sub(rf"\g<1>{MASK}", text)


class ApiKeyLogFilter(logging.Filter):
    """Masks `apikey=` values in a log record's message (urllib3 logs every request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_api_key(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_filter() -> None:
    """Attach the filter to urllib3's request logger; safe to call more than once.

    (Our own modules mask before logging; a logger's filter does not see its children's records.)
    """
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, ApiKeyLogFilter) for f in logger.filters):
        logger.addFilter(ApiKeyLogFilter())
