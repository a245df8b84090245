"""Who must give a second factor at sign-in, and their authenticator (TOTP) device."""

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models import Q
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

REQUIRED_GROUP = "Two-factor sign-in required"
DEVICE_NAME = "Authenticator app"
SESSION_KEY = "two_factor_needed"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def needs_second_factor(user) -> bool:
    """Everyone when DJANGO_REQUIRE_2FA is on; else members of the required group, and anyone
    who has set up an authenticator (once set up, it is always asked for)."""
    if settings.REQUIRE_2FA:
        return True
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(Q(groups__name=REQUIRED_GROUP) | Q(totpdevice__confirmed=True))
        .exists()
    )


def needs_second_factor_cached(request) -> bool:
    """`needs_second_factor` for the signed-in user, worked out on the first request after
    sign-in and kept in the session, instead of asked of the database on every request."""
    if settings.REQUIRE_2FA:
        return True
    needed = request.session.get(SESSION_KEY)
    if needed is None:
        needed = needs_second_factor(request.user)
        request.session[SESSION_KEY] = needed
    return needed


def pending_device(user) -> TOTPDevice:
    """The device being set up (kept between page loads, so the code shown stays the same)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it typed in: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, made here (no outside service sees it)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4,
        light="#fff",
        title="QR code for your authenticator app",
        svgclass="qr",
        lineclass=None,
    )


@receiver(user_logged_in, dispatch_uid="accounts.two_factor_needed")
def _forget_on_sign_in(sender, request, user, **kwargs) -> None:
    # A new sign-in works it out again (an admin may have required it since).
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
