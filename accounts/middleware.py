"""Until a user who needs a second factor has given it, every page leads to the code page."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .two_factor import confirmed_device, needs_second_factor_cached

# Pages a signed-in user may reach before the second factor: the code pages and signing out.
OPEN_BEFORE_SECOND_FACTOR = {"logout", "two_factor", "two_factor_setup"}


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware (which sets `request.user.is_verified()`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None  # public pages (sign-in, health check) stay public
        if not needs_second_factor_cached(request):
            return None
        target = "two_factor" if confirmed_device(user) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
