"""Behind a TLS proxy every request reaches the portal from the proxy's address. With
DJANGO_TRUSTED_PROXY_COUNT=1 the portal counts failures under the address the proxy saw, so an
attacker neither locks out the colleagues behind the same proxy nor escapes the count by writing
X-Forwarded-For itself.

The proxy is simulated: a small HTTP server in front of the live portal that, like nginx with
`proxy_add_x_forwarded_for`, appends its peer's address to X-Forwarded-For. Clients connect to it
from different loopback addresses (127.0.0.2, 127.0.0.3), so it really sees different peers.
"""

import http.client
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from requests.adapters import HTTPAdapter

from accounts.models import SignInEvent
from tests.factories import OfficerFactory
from tests.security.conftest import PASSWORD

ATTACKER, COLLEAGUE = "127.0.0.2", "127.0.0.3"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@pytest.fixture
def proxy(live_server) -> Iterator[str]:
    """The URL of a forwarding proxy in front of the live portal."""
    upstream = urlsplit(live_server.url)

    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            forwarded = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            connection.close()

        do_GET = do_POST = _forward

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class FromAddress(HTTPAdapter):
    """Connections made from a given local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def sign_in(session: requests.Session, base: str, username: str, password: str, **headers):
    form = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/", **headers},
        allow_redirects=False,
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_behind_a_trusted_proxy_failures_count_under_the_real_client(proxy, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    OfficerFactory(username="olivia", password=PASSWORD)
    attacker, colleague = browser(ATTACKER), browser(COLLEAGUE)

    # Each try claims another address in X-Forwarded-For; the proxy appends the real one.
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        answer = sign_in(attacker, proxy, "olivia", "guess", **{"X-Forwarded-For": f"10.9.9.{n}"})
    assert answer.status_code == 429
    assert sign_in(attacker, proxy, "olivia", PASSWORD).status_code == 429

    # Olivia, behind the same proxy, signs in.
    signed_in = sign_in(colleague, proxy, "olivia", PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    addresses = dict(SignInEvent.objects.values_list("kind", "ip_address").distinct())
    assert addresses["failed"] == ATTACKER and addresses["signed_in"] == COLLEAGUE
