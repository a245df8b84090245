"""Write the sign-in log from Django's and django-axes' signals."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .client_address import client_address
from .models import SignInEvent, SignInEventKind

USERNAME_MAX = 150
USER_AGENT_MAX = 300


def record_sign_in_event(
    *, kind: str, request: HttpRequest | None, user=None, username: str = ""
) -> SignInEvent:
    """Append one event; the IP address and browser come from the request when there is one."""
    ip_address = user_agent = None
    if request is not None:
        ip_address = client_address(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")
    if user is not None and not username:
        username = user.get_username()
    return SignInEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=(username or "")[:USERNAME_MAX],
        ip_address=ip_address,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    record_sign_in_event(kind=SignInEventKind.SIGNED_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.signed_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_sign_in_event(kind=SignInEventKind.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.failed")
def _failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already replaced the password in `credentials`; only the username is kept.
    username = str(credentials.get("username", ""))
    record_sign_in_event(kind=SignInEventKind.FAILED, request=request, username=username)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    record_sign_in_event(
        kind=SignInEventKind.LOCKED_OUT, request=request, username=str(username or "")
    )


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The name django-axes counts failures under (AXES_USERNAME_CALLABLE): as typed, cut to the
    longest username there can be, so a flood of characters is a failure, not a server error."""
    source = credentials if credentials is not None else request.POST
    return str(source.get("username") or "")[:USERNAME_MAX]
