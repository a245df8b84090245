"""Where a Netcore account may send its API key and a subject's primary keys.

- The three documented regions, over HTTPS, always.
- Any other http(s) base URL only when NETCORE_ALLOW_CUSTOM_BASE_URL is on (development and the
  local sandbox; `make run` turns it on), and even then never a link-local or cloud metadata
  address: names and numeric forms are resolved, so one that leads there is refused too.

The client checks again before it sends anything, so an account changed behind the admin's back
is refused as well. (A name that resolves elsewhere between the check and the request, DNS
rebinding, is possible only with custom base URLs switched on.)
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class Region(models.TextChoices):
    US = "us", "United States"
    IN = "in", "India"
    EU = "eu", "Europe"


REGION_BASE_URLS = {
    Region.US: "https://api.netcoresmartech.com",
    Region.IN: "https://apiin.netcoresmartech.com",
    Region.EU: "https://euceeapi.netcorecloud.net",
}
DOCUMENTED_BASE_URLS = frozenset(REGION_BASE_URLS.values())

# Cloud instance metadata services; the link-local ranges (169.254.0.0/16, fe80::/10), where most
# of them live, are refused as a whole.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_link_local or address in METADATA_ADDRESSES


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses `host` stands for: itself when literal, else what it resolves to now (none
    when it does not resolve: then nothing can be sent there either)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return []
    # Scope ids ("fe80::1%eth0") are not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def base_url_refusal(url: str) -> str | None:
    """Why an account may not call `url`, or None when it may."""
    url = url.rstrip("/")
    if url in DOCUMENTED_BASE_URLS:
        return None
    if not settings.NETCORE_ALLOW_CUSTOM_BASE_URL:
        return (
            "Use a region: an account calls one of Netcore's documented addresses "
            f"({', '.join(sorted(DOCUMENTED_BASE_URLS))}). Other base URLs are for development "
            "and the sandbox (NETCORE_ALLOW_CUSTOM_BASE_URL)."
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        return "The base URL is not a valid URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The base URL must be an http or https address with a host name."
    if parts.username or parts.password or parts.query or parts.fragment:
        return "The base URL must not carry a user name, password, query or fragment."
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata service, not Netcore."
    for address in _addresses(host):
        if _forbidden(address):
            return f"{host} leads to {address}, a link-local or cloud metadata address."
    return None
