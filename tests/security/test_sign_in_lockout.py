"""A lockout that locks no one else out: failures count per (name, address) and, against a higher
limit, per address for the names that failed there; the address is REMOTE_ADDR, or behind
DJANGO_TRUSTED_PROXY_COUNT proxies the one they saw, never one the client wrote itself."""

import math

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory

from accounts.client_address import client_address
from accounts.models import SignInEvent
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ATTACKER, COLLEAGUE = "203.0.113.66", "198.51.100.20"


def attempt(client: Client, username: str, password: str) -> int:
    """200 when the sign-in is refused (the form again, reached by a redirect so a reload
    repeats nothing), 302 when it succeeds, 429 when the name is locked out there."""
    response = client.post(LOGIN, {"username": username, "password": password})
    if response.status_code == 302 and response["Location"].startswith(LOGIN):
        return 200
    return response.status_code


def test_made_up_names_from_an_address_do_not_lock_out_others_there(officer):
    """Five failures under invented names used to lock every user of that address out."""
    shared = Client(REMOTE_ADDR=ATTACKER)
    for n in range(settings.AXES_FAILURE_LIMIT):
        assert attempt(shared, f"made-up-{n}", "guess") == 200
    assert attempt(Client(REMOTE_ADDR=ATTACKER), "olivia", PASSWORD) == 302


def test_a_known_name_locked_from_one_address_signs_in_from_another(officer):
    """Anyone could lock a known account (the bootstrap one) out everywhere."""
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "olivia", "guess")
    assert attempt(attacker, "olivia", PASSWORD) == 429
    assert attempt(Client(REMOTE_ADDR=COLLEAGUE), "olivia", PASSWORD) == 302


def test_guessing_many_names_from_one_address_is_stopped_there(officer, other_officer):
    """Under the per-name limit for each name, but over the address's limit: every name that
    failed from the address is refused there; a name that did not is still let in."""
    per_name = settings.AXES_FAILURE_LIMIT - 1
    names = ["oscar"] + [f"guess-{n}" for n in range(1, 100)]
    names = names[: math.ceil(settings.SIGNIN_ADDRESS_FAILURE_LIMIT / per_name)]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for name in names:
        for _ in range(per_name):
            attempt(attacker, name, "guess")
    assert attempt(attacker, "oscar", PASSWORD) == 429
    assert attempt(attacker, "olivia", PASSWORD) == 302
    # Elsewhere nothing is refused.
    assert attempt(Client(REMOTE_ADDR=COLLEAGUE), "oscar", PASSWORD) == 302


def test_the_address_limit_is_higher_than_the_name_limit():
    assert settings.SIGNIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(officer):
    client = Client(REMOTE_ADDR=ATTACKER)
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A new made-up address each time would spread the failures, were it believed.
        client.post(
            LOGIN,
            {"username": "olivia", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
    assert attempt(client, "olivia", PASSWORD) == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert set(SignInEvent.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.9"),
        (1, "", "10.0.0.9"),  # not through the proxy: the peer is the client
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),  # the left one is the client's claim
        (2, "192.0.2.1, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.9"),  # fewer entries than proxies
        (1, "192.0.2.1, not-an-address", "10.0.0.9"),
        (1, "192.0.2.1,2001:db8::7", "2001:db8::7"),
    ],
)
def test_client_address_counts_trusted_proxies_from_the_right(
    settings, trusted, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
