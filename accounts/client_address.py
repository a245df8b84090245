"""The address a request comes from, for sign-in limits and the sign-in log.

Without proxies (DJANGO_TRUSTED_PROXY_COUNT=0, the default) it is REMOTE_ADDR. Behind N trusted
proxies it is read from X-Forwarded-For, counting N entries from the right: each proxy appends the
address it received the request from, so the rightmost N entries were written by our proxies and
everything left of them is whatever the client chose to send. A client can therefore never pick
its own address, only prepend claims that are ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address (AXES_CLIENT_IP_CALLABLE), or None when there is none."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < trusted:
        # The request did not come through every trusted proxy: its peer is the client.
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-trusted]))
    except ValueError:
        # A proxy wrote something that is not an address: count the request as the peer's.
        return remote
