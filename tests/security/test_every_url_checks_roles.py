"""Every URL in the URLconf, as anonymous, a signed-in user with no role, an auditor, an officer
and an admin: each gets exactly what its role allows. A URL missing from EXPECTED fails the test,
so no view is added without someone deciding who may use it."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from cases.models import Case, Delivery
from tests.security.conftest import make_prepared_case_file
from tests.security.urlconf_walk import Route, all_routes, url_for

pytestmark = pytest.mark.django_db

# Outcomes.
LOGIN = "sign-in page"  # 302 to the sign-in page
OK = "served"  # reached the view: 200 or a redirect within it, or 400 for the empty form we post
FILE = "file"  # 200 with the file
DENIED = "403"
ADMIN_LOGIN = "admin sign-in"  # 302 to the admin's sign-in, which is ours (and 403s non-staff)
ANY_LOGIN = "either sign-in"  # 302 to the admin's sign-in or straight to ours
ADMIN_INDEX = (
    "admin index"  # the admin's sign-out sends non-staff to its index (signing no one out)
)
SIGNED_OUT = "signed out"  # 302 to the sign-in page, no longer signed in
PUBLIC = "public"  # anyone; never the sign-in page, never 403
# The subject's download pages: anyone, by design; a link that does not exist is a 404 page.
LINK = "download link"

# URL key: (method, anonymous, no role, auditor, officer). Admins reach every URL.
EXPECTED = {
    "home": ("get", LOGIN, DENIED, OK, OK),
    "login": ("get", PUBLIC, PUBLIC, PUBLIC, PUBLIC),
    "logout": ("post", LOGIN, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT),
    "healthz": ("get", PUBLIC, PUBLIC, PUBLIC, PUBLIC),
    "two_factor": ("get", LOGIN, OK, OK, OK),
    "two_factor_setup": ("get", LOGIN, OK, OK, OK),
    # The admin signs in through our page; its own sign-in URL is shadowed by ours.
    "admin/login/": ("get", LOGIN, DENIED, DENIED, DENIED),
    "admin:login": ("get", LOGIN, DENIED, DENIED, DENIED),
    "admin:logout": ("post", ANY_LOGIN, ADMIN_INDEX, ADMIN_INDEX, ADMIN_INDEX),
    "cases:list": ("get", LOGIN, DENIED, OK, OK),
    "cases:create": ("get", LOGIN, DENIED, DENIED, OK),
    "cases:detail": ("get", LOGIN, DENIED, OK, OK),
    "cases:data": ("get", LOGIN, DENIED, OK, OK),
    "cases:report": ("get", LOGIN, DENIED, OK, OK),
    "cases:trail": ("get", LOGIN, DENIED, OK, OK),
    "cases:trail_csv": ("get", LOGIN, DENIED, DENIED, FILE),
    "cases:notes": ("get", LOGIN, DENIED, OK, OK),
    "cases:progress": ("get", LOGIN, DENIED, OK, OK),
    "cases:other_systems": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:case_file_json": ("get", LOGIN, DENIED, FILE, FILE),
    "cases:case_file_prepare": ("post", LOGIN, DENIED, OK, OK),
    "cases:case_file_pdf": ("get", LOGIN, DENIED, FILE, FILE),
    "cases:edit": ("get", LOGIN, DENIED, DENIED, OK),
    "cases:verify": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:extend": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:clock_pause": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:clock_resume": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:status": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:note": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:collect": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:retry_failed": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:report_generate": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:report_pdf": ("get", LOGIN, DENIED, DENIED, FILE),
    "cases:report_export": ("get", LOGIN, DENIED, DENIED, FILE),
    "cases:report_send": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:refusal_letter": ("get", LOGIN, DENIED, DENIED, FILE),
    "cases:refusal_send": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:refusal_given": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:delivery": ("get", LOGIN, DENIED, OK, OK),
    "cases:delivery_revoke": ("post", LOGIN, DENIED, DENIED, OK),
    "cases:delivery_passphrase": ("post", LOGIN, DENIED, DENIED, OK),
    "link:page": ("get", LINK, LINK, LINK, LINK),
    "link:code": ("post", LINK, LINK, LINK, LINK),
    "link:enter": ("post", LINK, LINK, LINK, LINK),
    "link:file": ("get", LINK, LINK, LINK, LINK),
}
# The admin's own URLs (every model's too): staff only, checked by the admin site itself.
ADMIN_EXPECTED = ("get", ANY_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)


def expected_for(route: Route) -> tuple:
    if route.key in EXPECTED:
        return EXPECTED[route.key]
    if route.is_admin:
        return ADMIN_EXPECTED
    pytest.fail(
        f"{route.key} ({route.route}) has no entry in EXPECTED: decide who may use it, "
        "protect the view (cases/access.py), and add it here."
    )


def check(response, outcome: str, url: str, method: str = "get") -> None:
    status, location = response.status_code, response.get("Location", "")
    where = f"{method.upper()} {url}: {status} {location}"
    if outcome == LOGIN:
        assert status == 302 and location.startswith("/accounts/login/?next="), where
    elif outcome == OK:
        # A GET has nothing to be invalid: only a POST of the empty form may answer 400.
        assert status in ((200, 302, 400) if method == "post" else (200, 302)), where
        assert not location.startswith("/accounts/login/"), where
    elif outcome == FILE:
        assert status == 200 and response.get("Content-Disposition", "").startswith("attachment"), (
            where
        )
    elif outcome == DENIED:
        assert status == 403, where
    elif outcome == ADMIN_LOGIN:
        assert status == 302 and location.startswith("/admin/login/"), where
    elif outcome == SIGNED_OUT:
        assert status == 302 and location == "/accounts/login/", where
        assert "_auth_user_id" not in response.wsgi_request.session, where
    elif outcome == ANY_LOGIN:
        assert status == 302 and location.startswith(("/admin/login/", "/accounts/login/")), where
    elif outcome == ADMIN_INDEX:
        assert status == 302 and location == "/admin/", where
    elif outcome == PUBLIC:
        assert status in (200, 503), where  # the health check may say the broker is down
    elif outcome == LINK:
        assert status in (200, 302, 404), where
        assert not location.startswith("/accounts/login/"), where
    else:
        raise AssertionError(outcome)


def delivery_of(report) -> Delivery:
    """A sent link delivery of `report` (made once)."""
    return report.deliveries.first() or Delivery.objects.create(
        report=report, recipient=report.case.subject_email, channel="link", outcome="sent"
    )


def argument_values(case: Case, report, user=None) -> dict[str, str]:
    return {
        "prepared_id": (
            case.prepared_case_files.filter(status="ready").first() or make_prepared_case_file(case)
        ).pk,
        "reference": case.reference,
        "version": report.version,
        "kind": "json",
        "delivery_id": delivery_of(report).pk,
        "secret": "no-such-link",
        "object_id": str(case.pk),
        "id": str(user.pk if user else case.pk),  # the admin's password page: a user's id
        "app_label": "cases",
        "content_type_id": str(ContentType.objects.get_for_model(Case).pk),
        "url": "no-such-page/",
    }


def test_the_walk_covers_every_pattern_and_every_key_is_still_used():
    routes = all_routes()
    keys = {route.key for route in routes}
    assert set(EXPECTED) <= keys, set(EXPECTED) - keys
    assert sum(route.is_admin for route in routes) > 50  # the admin's are really walked


@pytest.mark.parametrize("who", ["anonymous", "no role", "auditor", "officer"])
def test_each_role_gets_what_it_is_allowed(who, case, report, outsider, auditor, officer):
    column = ["anonymous", "no role", "auditor", "officer"].index(who) + 1
    client = Client()
    user = {"anonymous": None, "no role": outsider, "auditor": auditor, "officer": officer}[who]
    if user is not None:
        client.force_login(user)
    values = argument_values(case, report)
    for route in all_routes():
        expected = expected_for(route)
        if route.key == "logout":
            continue  # signing out ends the session the rest of the walk needs; checked last
        url = url_for(route, values)
        response = getattr(client, expected[0])(url)
        check(response, expected[column], url, expected[0])
    check(
        client.post(url_for(_route("logout"), values)), EXPECTED["logout"][column], "logout", "post"
    )


def _route(key: str) -> Route:
    return next(route for route in all_routes() if route.key == key)


def test_admins_reach_every_url(admin_client, admin_user, case, report):
    values = argument_values(case, report, admin_user)
    for route in all_routes():
        if route.key in ("logout", "admin:logout"):
            continue
        method = expected_for(route)[0]
        url = url_for(route, values)
        response = getattr(admin_client, method)(url)
        # The admin refuses to add or delete read-only records (403), autocomplete without its
        # parameters (403) and answers 404 for its catch-all; nothing else may refuse or fail.
        read_only = (
            re.search(r"_(add|delete)$", route.key)
            or route.key == "admin:autocomplete"  # 403 without its query parameters
            or route.route.endswith("(?P<url>.*)$")
        )
        allowed = {200, 302} | ({400} if method == "post" else set())
        allowed |= {403, 404} if read_only else set()
        if expected_for(route)[1] == LINK:
            allowed.add(404)  # a download link that does not exist: the same 404 for everyone
        assert response.status_code in allowed, (method, url, response.status_code)
