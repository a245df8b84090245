"""The account admin: the key is write-only, never rendered; the connection check reports."""

import pytest
from django.urls import reverse

from netcore.models import NetcoreAccount
from netcore.services import account_create

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:netcore_netcoreaccount_changelist"


@pytest.fixture
def account(sandbox, api_key) -> NetcoreAccount:
    return account_create(name="Main", base_url=sandbox.url, api_key=api_key, max_rps=100)


def form_data(**overrides) -> dict:
    data = {
        "name": "Europe",
        "region": "eu",
        "base_url": "",
        "api_key": "",
        "timezone": "Europe/Athens",
        "window_days": "7",
        "max_rps": "5",
        "active": "on",
    }
    return {**data, **overrides}


def assert_key_absent(response, account: NetcoreAccount, api_key: str) -> None:
    page = response.content.decode()
    assert api_key not in page
    assert account.api_key_encrypted not in page


def test_list_add_and_change_pages_never_show_the_key(admin_client, account, api_key):
    pages = [
        reverse(CHANGELIST),
        reverse(CHANGELIST) + "?q=Main",
        reverse("admin:netcore_netcoreaccount_add"),
        reverse("admin:netcore_netcoreaccount_change", args=[account.pk]),
        reverse("admin:netcore_netcoreaccount_history", args=[account.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_key_absent(response, account, api_key)

    change_page = admin_client.get(pages[3]).content.decode()
    assert f"…{api_key[-4:]}" in change_page
    assert 'type="password"' in change_page


def test_adding_an_account_stores_the_key_encrypted(admin_client, api_key):
    response = admin_client.post(
        reverse("admin:netcore_netcoreaccount_add"), form_data(api_key=api_key)
    )

    assert response.status_code == 302
    account = NetcoreAccount.objects.get(name="Europe")
    assert account.api_key == api_key
    assert api_key not in account.api_key_encrypted
    assert account.effective_base_url == "https://euceeapi.netcorecloud.net"
    assert_key_absent(admin_client.get(response.url), account, api_key)


def test_the_key_is_required_when_adding(admin_client):
    response = admin_client.post(reverse("admin:netcore_netcoreaccount_add"), form_data())

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not NetcoreAccount.objects.exists()


def test_a_rejected_form_does_not_echo_the_key(admin_client, api_key):
    data = form_data(api_key=api_key, timezone="Mars/Olympus")

    response = admin_client.post(reverse("admin:netcore_netcoreaccount_add"), data)

    assert response.status_code == 200
    assert api_key not in response.content.decode()
    assert not NetcoreAccount.objects.exists()


def test_an_empty_key_on_change_keeps_the_old_one(admin_client, account, api_key):
    url = reverse("admin:netcore_netcoreaccount_change", args=[account.pk])

    response = admin_client.post(
        url, form_data(name="Renamed", region="", base_url=account.base_url)
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.api_key == api_key


def test_a_new_key_on_change_replaces_the_old_one(admin_client, account):
    url = reverse("admin:netcore_netcoreaccount_change", args=[account.pk])
    data = form_data(region="", base_url=account.base_url, api_key="replacement-key-0042")

    admin_client.post(url, data)

    account.refresh_from_db()
    assert account.api_key == "replacement-key-0042"
    assert account.api_key_last4 == "0042"


def test_region_and_base_url_together_are_refused(admin_client, api_key):
    data = form_data(api_key=api_key, base_url="https://example.com")

    response = admin_client.post(reverse("admin:netcore_netcoreaccount_add"), data)

    assert response.status_code == 200
    assert "either a region or a base URL" in response.content.decode()


def test_the_check_action_reports_per_account(admin_client, account, sandbox, api_key):
    bad = account_create(name="Bad", base_url=sandbox.url, api_key="not-the-right-key")
    data = {"action": "check_connection", "_selected_action": [account.pk, bad.pk]}

    response = admin_client.post(reverse(CHANGELIST), data, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Main: ok") for m in messages)
    assert any(m.startswith("Bad: bad key") for m in messages)
    assert_key_absent(response, account, api_key)
    assert "not-the-right-key" not in response.content.decode()
