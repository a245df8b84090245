"""Response headers that Django's SecurityMiddleware and django-csp do not set."""

from django.http import HttpRequest, HttpResponse

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
    them (Cache-Control: no-store). Every response also says which browser features are off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response.headers["Cache-Control"] = "no-store, private"
        return response
