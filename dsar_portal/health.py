"""`/healthz`: is the portal able to work? The database and the Celery broker must answer.

The answer is 200 {"status": "ok"} or 503 {"status": "unavailable"} and nothing more: no
versions, hosts or error text for whoever asks (it needs no sign-in, for load balancers and
container health checks). The cause of a failure goes to the log instead.

`python -m dsar_portal.health [URL]` probes a running web server (the container health check).
"""

import logging
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # any failure means unavailable
        logger.warning("health: database unavailable: %s", type(exc).__name__)
        return False


def broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(
                url,
                socket_timeout=CHECK_TIMEOUT_SECONDS,
                socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            )
            try:
                return bool(client.ping())
            finally:
                client.close()
        # kombu's filesystem transport (one machine): the queue folder must be there.
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        return Path(folder).is_dir()
    except Exception as exc:  # any failure means unavailable
        logger.warning("health: broker unavailable: %s", type(exc).__name__)
        return False


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy = database_ok() and broker_ok()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503
    )


def probe(url: str = "http://127.0.0.1:8000/healthz") -> int:
    """Exit status for a container health check: 0 when `url` answers 200, else 1.

    Sends the first allowed host name as Host, so the check passes Django's host validation
    whatever address the container is reached at.
    """
    import os
    import urllib.request

    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (our own URL)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(probe(*sys.argv[1:2]))
