"""Two-factor sign-in (TOTP): set up with a QR code drawn on our server, asked at every sign-in
once required or set up, throttled, and never replaceable with the password alone."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SignInEvent
from accounts.two_factor import REQUIRED_GROUP
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


def sign_in(client: Client, username: str = "olivia", next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def enrol(client: Client, user) -> TOTPDevice:
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": code_for(device)})
    assert response.status_code == 302, response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    return device


@pytest.fixture
def required(settings):
    settings.REQUIRE_2FA = True


def test_when_required_every_page_leads_to_set_up_until_done(required, officer):
    client = Client()
    response = sign_in(client, next_url="/cases/")
    assert response["Location"] == "/cases/"
    for url in ("/cases/", "/", "/admin/", reverse("cases:create")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("two_factor_setup") + "?next="), url

    page = client.get(reverse("two_factor_setup"))
    html = page.content.decode()
    assert page.status_code == 200
    # The QR code is an inline SVG made here; the key is also given as text. Nothing outside.
    assert re.search(r"<svg[^>]*>\s*<title>QR code", html)
    assert "<img" not in html and "otpauth://" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert secret and secret in html.replace(" ", "")
    # Reloading shows the same key (the device being set up is kept).
    assert client.get(reverse("two_factor_setup")).context["secret"] == page.context["secret"]

    wrong = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert wrong.status_code == 302 and wrong["Location"] == reverse("two_factor_setup")
    assert "did not work" in client.get(wrong["Location"]).content.decode()
    assert "did not work" not in client.get(wrong["Location"]).content.decode()  # shown once
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(
        reverse("two_factor_setup"), {"token": code_for(device), "next": "/cases/"}
    )
    assert response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    assert SignInEvent.objects.filter(kind="two_factor_enrolled", user=officer).exists()
    # The key is never shown again.
    again = client.get(reverse("two_factor_setup")).content.decode()
    assert secret not in again.replace(" ", "") and "<svg" not in again


def test_later_sign_ins_ask_for_the_code(required, officer):
    first = Client()
    sign_in(first)
    device = enrol(first, officer)

    client = Client()
    sign_in(client, next_url="/cases/")
    response = client.get("/cases/")
    assert response["Location"] == reverse("two_factor") + "?next=%2Fcases%2F"
    page = client.get(response["Location"])
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert "<svg" not in page.content.decode()

    wrong = client.post(reverse("two_factor"), {"token": "123456", "next": "/cases/"})
    assert wrong.status_code == 302
    assert wrong["Location"] == reverse("two_factor") + "?next=%2Fcases%2F"
    assert "did not work" in client.get(wrong["Location"]).content.decode()
    assert client.get("/cases/").status_code == 302
    # Skip the throttle's delay after the wrong code (the throttle has its own test).
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(
        reverse("two_factor"), {"token": code_for(device, offset_steps=1), "next": "/cases/"}
    )
    assert response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    kinds = list(SignInEvent.objects.filter(user=officer).values_list("kind", flat=True))
    assert "two_factor_failed" in kinds and "two_factor_passed" in kinds


def test_a_used_code_cannot_be_used_again(required, officer):
    client = Client()
    sign_in(client)
    device = enrol(client, officer)
    used = code_for(device)  # the code that confirmed the device
    other = Client()
    sign_in(other)
    refused = other.post(reverse("two_factor"), {"token": used})
    assert refused.status_code == 302
    assert "did not work" in other.get(refused["Location"]).content.decode()


def test_wrong_codes_are_throttled(required, officer):
    client = Client()
    sign_in(client)
    device = enrol(client, officer)
    other = Client()
    sign_in(other)
    for _ in range(3):
        other.post(reverse("two_factor"), {"token": "000000"})
    response = other.post(reverse("two_factor"), {"token": code_for(device, offset_steps=1)})
    assert response.status_code == 302
    assert "Too many wrong codes" in other.get(response["Location"]).content.decode()
    assert other.get("/cases/").status_code == 302


def test_the_password_alone_cannot_replace_the_authenticator(required, officer):
    client = Client()
    sign_in(client)
    enrol(client, officer)
    attacker = Client()
    sign_in(attacker)
    response = attacker.get(reverse("two_factor_setup"))
    assert response["Location"].startswith(reverse("two_factor"))
    assert attacker.post(reverse("two_factor_setup"), {"token": "000000"}).status_code == 302
    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_admins_can_require_it_for_one_user(officer, other_officer):
    other_officer.groups.add(Group.objects.get(name=REQUIRED_GROUP))
    required = Client()
    sign_in(required, "oscar")
    assert required.get("/cases/")["Location"].startswith(reverse("two_factor_setup"))
    free = Client()
    sign_in(free)
    assert free.get("/cases/").status_code == 200


def test_once_set_up_it_is_always_asked_for(officer):
    client = Client()
    sign_in(client)
    assert 'href="/accounts/two-factor/setup/"' in client.get("/cases/").content.decode()
    enrol(client, officer)  # chosen, not required
    later = Client()
    sign_in(later)
    assert later.get("/cases/")["Location"].startswith(reverse("two_factor"))


def test_no_redirect_off_the_portal_after_the_code(required, officer):
    client = Client()
    sign_in(client)
    device = TOTPDevice.objects.create(user=officer, name="x", confirmed=True)
    response = client.post(
        reverse("two_factor"), {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_admin_never_shows_the_secret(required, officer, admin_user):
    client = Client()
    sign_in(client)
    device = enrol(client, officer)
    admin = Client()
    admin.force_login(admin_user)
    TOTPDevice.objects.create(user=admin_user, name="admin's", confirmed=True)
    # force_login skips the second factor's page: verify the admin's session directly.
    admin_device = TOTPDevice.objects.get(user=admin_user)
    admin.post(reverse("two_factor"), {"token": code_for(admin_device)})
    listing = admin.get("/admin/otp_totp/totpdevice/")
    change = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert listing.status_code == 200 and change.status_code == 200
    for page in (listing, change):
        html = page.content.decode()
        assert device.key not in html
        assert "otpauth" not in html and "QR code" not in html
    assert admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (302, 404)
    # Deleting it is how an admin lets a user with a lost phone set up a new one.
    assert (
        admin.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
