"""A collection sends the subject's primary keys to the account's own address only: a redirect
elsewhere fails the window (nothing stored from the other server), and the cause officers and
auditors see is the client's classification, never what a server wrote."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from cases.models import ActivityEvent, WindowStatus
from netcore.sandbox import CannedResponse, Sandbox
from tests.factories import UserFactory, d, make_case
from tests.harvest_fixtures import SANDBOX_KEY, sandbox_account
from tests.security.conftest import auditors_group

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_TEXT = "Stack trace of another service: db password hunter2 " * 5


def one_week_case(officer):
    return make_case(
        actor=officer,
        assigned_officer=officer,
        primary_keys=["ana@example.com"],
        channels=["email"],
        search_from=d("2025-01-01"),
        search_to=d("2025-01-07"),
    )


def harvest(case) -> None:
    with pytest.raises(CommandError, match="windows failed"):
        call_command("harvest", case.reference, "--sync", stdout=StringIO())


def test_a_redirect_to_another_server_stores_nothing_from_it(officer):
    with Sandbox(api_key=SANDBOX_KEY, seed=3, events_per_day=5) as elsewhere:
        target = (
            f"{elsewhere.url}/apiv2?type=export_data&activity=get_user_channel_activity_data"
            f"&apikey={SANDBOX_KEY}"
        )
        redirect = CannedResponse(307, b"", {"Location": target})
        with Sandbox(api_key=SANDBOX_KEY, canned=redirect) as redirecting:
            sandbox_account(redirecting)
            case = one_week_case(officer)
            harvest(case)
        assert elsewhere.requests == []
    window = case.windows.get()
    assert window.status == WindowStatus.FAILED
    assert window.last_error.startswith("Redirected: ")
    assert not ActivityEvent.objects.filter(case=case).exists()


@override_settings(NETCORE_MAX_ATTEMPTS=1)
def test_officers_and_auditors_see_a_classified_cause(officer):
    auditor = UserFactory(username="audrey")
    auditor.groups.add(auditors_group())
    answer = CannedResponse(502, SERVER_TEXT.encode(), {"Content-Type": "text/plain"})
    with Sandbox(api_key=SANDBOX_KEY, canned=answer) as failing:
        sandbox_account(failing)
        case = one_week_case(officer)
        harvest(case)
    window = case.windows.get()
    assert window.last_error.startswith("ServerError: server error from http://127.0.0.1:")
    assert window.last_error.endswith("HTTP 502")
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    for user in (officer, auditor, admin):
        client = Client()
        client.force_login(user)
        for url in (
            reverse("cases:data", args=[case.reference]),
            reverse("cases:progress", args=[case.reference]),
        ):
            page = client.get(url).content.decode()
            assert "Netcore unavailable" in page, (user, url)
            # The raw cause (the client's words, never the server's) is for admins only.
            assert ("HTTP 502" in page) == (user is admin), (user, url)
            assert "hunter2" not in page, (user, url)
