from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from tests.factories import OfficerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_signs_in_logs_a_request_and_sees_days_left(live_server, page):
    OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    today = timezone.localdate()

    page.goto(f"{live_server.url}/cases/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    # Keyboard only: the username field has focus, Tab moves on, Enter submits.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("olivia")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/cases/")

    page.get_by_role("link", name="Log a request").first.click()
    page.get_by_label("Subject name").fill("Ελένη Παπαδοπούλου")
    page.get_by_label("Subject email").fill("eleni@example.com")
    page.get_by_label("Netcore primary keys").fill("eleni@example.com\n+302101234567")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("SMS", exact=True).check()
    page.get_by_label("Search from").fill((today - timedelta(days=90)).isoformat())
    page.get_by_label("Search to").fill(today.isoformat())
    page.get_by_role("button", name="Log request").click()

    case = Case.objects.get()
    page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}")
    assert "logged; due" in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Cases", exact=True).click()
    row = page.get_by_role("row").filter(has_text=case.reference)
    assert "Ελένη Παπαδοπούλου" in row.inner_text()
    assert f"{case.days_left()} days left" in row.get_by_text("days left").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/cases/")
    assert "/accounts/login/" in page.url
