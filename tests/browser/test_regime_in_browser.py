"""In Chromium: an officer logs a UK GDPR request, sees its regime on the case page and in the
list, stops the clock for a clarification and restarts it when the answer arrives."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, OrganisationProfile
from tests.factories import OfficerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_uk_request_with_its_clock_stopped_and_restarted(live_server, sign_in):
    officer = OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")
    profile = OrganisationProfile.load()
    profile.default_regime = "ccpa"
    profile.save()
    today = timezone.localdate()
    page = sign_in(officer)

    page.goto(f"{live_server.url}/cases/new/")
    regime = page.get_by_label("Regime")
    assert regime.input_value() == "ccpa"  # the profile's default
    page.get_by_label("Subject name").fill("Ada Lovelace")
    page.get_by_label("Subject email").fill("ada@example.co.uk")
    page.get_by_label("Netcore primary keys").fill("ada@example.co.uk")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Search from").fill((today - timedelta(days=60)).isoformat())
    page.get_by_label("Search to").fill(today.isoformat())
    page.get_by_label("Received on").fill((today - timedelta(days=4)).isoformat())
    regime.select_option(label="UK GDPR")
    page.get_by_role("button", name="Log request").click()

    case = Case.objects.get()
    page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}**")
    assert case.regime == "uk-gdpr"
    assert page.locator("h1 .badge-regime").inner_text() == "UK GDPR"
    assert "Art. 12A UK GDPR" in page.locator("#deadline").inner_text()

    page.get_by_label("Clarification asked for on").fill((today - timedelta(days=2)).isoformat())
    page.get_by_label("What was asked").fill("Which of your two accounts do you mean?")
    page.get_by_role("button", name="Stop the clock").click()
    page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}**")
    case.refresh_from_db()
    left = case.days_left()
    assert page.locator(".deadline .badge").inner_text() == f"Clock stopped, {left} days left"

    page.get_by_label("Answer received on").fill(today.isoformat())
    page.get_by_role("button", name="Restart the clock").click()
    page.wait_for_url(f"{live_server.url}{case.get_absolute_url()}**")
    case.refresh_from_db()
    assert case.clock_paused_days == 3
    assert f"due {case.due_date:%d %b %Y}" in page.locator("#deadline").inner_text()
    assert page.locator(".deadline .badge").inner_text() == f"{left} days left"

    page.goto(f"{live_server.url}/cases/?regime=uk-gdpr")
    row = page.get_by_role("row").filter(has_text=case.reference)
    assert "UK GDPR" in row.inner_text()
