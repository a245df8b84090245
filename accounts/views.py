"""Second-factor pages (set up an authenticator, give a code) and the admin's sign-in."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from . import two_factor
from .models import SignInEventKind
from .signin_log import record_sign_in_event


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("Type the digits shown in your authenticator app.")
        return token


REFUSAL_KEY = "sign_in_refusal"


def _first_error(form: forms.Form) -> str:
    return next(iter(form.errors.values()))[0]


def _refused(request: HttpRequest, url_name: str, refusal: str, **kept) -> HttpResponse:
    """Back to the form with a redirect, the refusal (and `kept` values, never a secret) kept
    for its next display: a reload asks for the form again instead of sending the attempt."""
    request.session[REFUSAL_KEY] = {"refusal": refusal, **kept}
    target = _safe_next(request)
    query = f"?{urlencode({'next': target})}" if request.POST.get("next") else ""
    return redirect(reverse(url_name) + query)


def _kept_refusal(request: HttpRequest, name: str = "refusal") -> str:
    return (request.session.pop(REFUSAL_KEY, None) or {}).get(name, "")


def _safe_next(request: HttpRequest) -> str:
    """Where to go after the code: `next` when it is on this site, else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@sensitive_post_parameters("token")
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code of the user's authenticator. A refused code answers with a
    redirect back here (the refusal shown once), so a reload never sends a code again."""
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                refusal = "Too many wrong codes. Wait a minute, then try the newest code."
            elif device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                record_sign_in_event(
                    kind=SignInEventKind.TWO_FACTOR_PASSED, request=request, user=request.user
                )
                return redirect(_safe_next(request))
            else:
                refusal = "That code did not work. Try the newest code from your app."
        else:
            refusal = _first_error(form)
        record_sign_in_event(
            kind=SignInEventKind.TWO_FACTOR_FAILED, request=request, user=request.user
        )
        return _refused(request, "two_factor", refusal)
    return render(
        request,
        "registration/two_factor.html",
        {"form": CodeForm(), "next": _safe_next(request), "refusal": _kept_refusal(request)},
    )


@never_cache
@sensitive_post_parameters("token")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: show its secret (QR code and text), confirm with one code. A
    refused code answers with a redirect back here, like every POST."""
    if two_factor.confirmed_device(request.user) is not None:
        if not request.user.is_verified():
            # Only someone who has given the current code may replace the authenticator.
            return redirect(f"{reverse('two_factor')}?{request.GET.urlencode()}")
        return render(request, "registration/two_factor_setup.html", {"enrolled": True})
    device = two_factor.pending_device(request.user)
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                refusal = "Too many wrong codes. Wait a minute, then try the newest code."
            elif device.verify_token(form.cleaned_data["token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                record_sign_in_event(
                    kind=SignInEventKind.TWO_FACTOR_ENROLLED, request=request, user=request.user
                )
                messages.success(request, "Two-factor sign-in is set up.")
                return redirect(_safe_next(request))
            else:
                refusal = "That code did not work. Check the app's clock and try again."
        else:
            refusal = _first_error(form)
        return _refused(request, "two_factor_setup", refusal)
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": CodeForm(),
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "next": _safe_next(request),
            "required": two_factor.needs_second_factor(request.user),
            "refusal": _kept_refusal(request),
        },
    )


class SignInView(LoginView):
    """Django's sign-in, except that a refused attempt answers with a redirect back to the form
    (the name typed and the one refusal kept for one display, never the password): a reload
    asks for the form again instead of sending the attempt, and counting a failure, once more.
    A lockout is still answered by django-axes' page."""

    def form_invalid(self, form):
        self.request.session[REFUSAL_KEY] = {
            "refusal": "refused",
            "username": str(form.data.get("username", ""))[:150],
        }
        target = self.get_redirect_url()
        query = f"?{urlencode({'next': target})}" if target else ""
        return redirect(reverse("login") + query)

    def get(self, request, *args, **kwargs):
        self.kept = request.session.pop(REFUSAL_KEY, None) or {}
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {**super().get_initial(), "username": getattr(self, "kept", {}).get("username", "")}

    def get_context_data(self, **kwargs):
        refused = bool(getattr(self, "kept", {}).get("refusal"))
        return {**super().get_context_data(**kwargs), "refused": refused}


def admin_sign_in(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin has no sign-in page of its own: ours (throttled, two-factor) is used."""
    if request.user.is_authenticated:
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return redirect(_safe_next(request))
    return redirect_to_login(_safe_next(request) if request.GET.get("next") else "/admin/")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the same page whatever the name,
    so it tells nothing about which accounts exist."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60) if settings.AXES_COOLOFF_TIME else 0
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
