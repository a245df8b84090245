"""Request and response hygiene that Django's SecurityMiddleware and django-csp do not cover.

- SecurityHeadersMiddleware, outermost: every response, whoever made it (a static file, the 400
  for a host we do not serve, an error page), carries nosniff, the referrer policy and the
  permissions policy; pages shown to a signed-in user are not kept by browsers or proxies.
- RejectNulInQueryMiddleware: a NUL in a query string matches nothing we store, and PostgreSQL
  refuses it in a query (a server error, e.g. in the admin's list filters): it is a bad request.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request

# The portal uses no camera, microphone, location, payment or similar browser features.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
)


class SecurityHeadersMiddleware:
    """Pages shown to a signed-in user hold personal data: browsers and proxies must not keep
    them (Cache-Control: no-store). Every response also says which browser features are off, and
    gets the headers Django's SecurityMiddleware sets when that middleware did not run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response.headers["Cache-Control"] = "no-store, private"
        return response


class RejectNulInQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return bad_request(request, ValueError("NUL in the query string"))
        return self.get_response(request)
