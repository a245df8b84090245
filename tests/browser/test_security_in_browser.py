"""In Chromium: no page of the portal breaks its content security policy, and an officer sets up
two-factor sign-in with the keyboard alone."""

import base64

import pytest
from django_otp.oath import TOTP

from tests.factories import OfficerFactory, make_collected_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return messages


def test_pages_run_under_the_policy_without_violations(live_server, page, sign_in):
    officer = OfficerFactory(username="olivia")
    case = make_collected_case(actor=officer, events=3, subject_name="<b>Bold</b> Name")
    violations = csp_violations(page)
    sign_in(officer)
    for path in ("/", "/cases/", case.get_absolute_url(), "/cases/new/", "/no-such-page/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("getComputedStyle(document.body).margin") == "0px", path  # our CSS
    # The stylesheet and the progress script are loaded from the portal.
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    assert page.locator("b").count() == 0  # the name is text, not markup
    assert violations == []


def test_the_admin_runs_under_the_same_policy(live_server, page, sign_in, django_user_model):
    admin = django_user_model.objects.create_superuser("ada", "ada@example.com", "x" * 20)
    officer = OfficerFactory(username="olivia")
    case = make_collected_case(actor=officer, events=1)
    violations = csp_violations(page)
    sign_in(admin)
    for path in ("/admin/", f"/admin/cases/case/{case.pk}/change/", "/admin/auth/user/add/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert violations == []
    # The read-only change lists carry Django's one inline <style> (a column width): refused,
    # as the policy says, and nothing else on the page depends on it.
    page.goto(f"{live_server.url}/admin/cases/case/")
    page.wait_for_load_state("load")
    assert all("inline style" in text for text in violations)
    assert page.get_by_role("link", name=case.reference).is_visible()


def test_an_officer_sets_up_two_factor_sign_in_by_keyboard(live_server, page, settings):
    settings.REQUIRE_2FA = True
    officer = OfficerFactory(username="olivia")
    page.goto(f"{live_server.url}/cases/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("olivia")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/setup/?next=%2Fcases%2F")
    assert page.locator(".qr-box svg title").text_content() == "QR code for your authenticator app"

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{TOTP(key).token():06d}"
    page.wait_for_function("document.activeElement && document.activeElement.name === 'token'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/cases/")
    assert "Two-factor sign-in is set up" in page.locator(".messages").inner_text()
    assert officer.totpdevice_set.get().confirmed
