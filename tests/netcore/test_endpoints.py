"""Where an account may send its key: the documented regions over HTTPS; other base URLs only in
development (NETCORE_ALLOW_CUSTOM_BASE_URL) and never link-local or metadata addresses; a stored
key only to the address it was entered for; no redirect followed; causes without server text."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from netcore.errors import EndpointRefused, Redirected, RequestRejected, ServerError
from netcore.models import NetcoreAccount
from netcore.sandbox import CannedResponse
from netcore.services import account_create
from tests.netcore.conftest import make_account, make_client
from tests.netcore.test_error_kinds_and_retries import WINDOW

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:netcore_netcoreaccount_changelist"
SERVER_TEXT = "Internal details of some other server " * 10

LOCAL_OR_ODD = [
    "http://127.0.0.1:8765",
    "http://[::1]:8765",
    "http://localhost:8765",
    "https://example.com",
    "http://api.netcoresmartech.com",  # a documented host, but not over HTTPS
    "https://api.netcoresmartech.com.example.com",
]
NEVER = [
    "http://169.254.169.254",
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]:80",
    "http://[::ffff:169.254.169.254]",
    "http://2852039166",  # 169.254.169.254 as one number
    "http://0251.0376.0251.0376",  # and in octal
    "http://[fd00:ec2::254]",
    "http://100.100.100.200",
    "http://metadata.google.internal",
]


def account_with(base_url: str) -> NetcoreAccount:
    return NetcoreAccount(name="X", base_url=base_url, api_key="key-0123456789")


@pytest.mark.parametrize("base_url", LOCAL_OR_ODD + NEVER)
def test_only_documented_regions_without_the_development_switch(settings, base_url):
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = False
    with pytest.raises(ValidationError) as refused:
        account_with(base_url).full_clean()
    assert "base_url" in refused.value.message_dict
    with pytest.raises(EndpointRefused):
        make_client(make_account(base_url, "key-0123456789"))


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.netcoresmartech.com",
        "https://apiin.netcoresmartech.com/",
        "https://euceeapi.netcorecloud.net",
    ],
)
def test_the_documented_addresses_are_always_allowed(settings, base_url):
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = False
    account_with(base_url).full_clean()
    for region in ("us", "in", "eu"):
        NetcoreAccount(name=region, region=region, api_key="key-0123456789").full_clean()


@pytest.mark.parametrize("base_url", LOCAL_OR_ODD)
def test_development_allows_other_addresses(settings, base_url):
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = True
    account_with(base_url).full_clean()


@pytest.mark.parametrize("base_url", NEVER)
def test_link_local_and_metadata_addresses_are_refused_even_in_development(settings, base_url):
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = True
    with pytest.raises(ValidationError) as refused:
        account_with(base_url).full_clean()
    assert "base_url" in refused.value.message_dict
    with pytest.raises(EndpointRefused):
        make_client(make_account(base_url, "key-0123456789"))


def test_an_admin_cannot_point_an_account_at_a_local_address(admin_client, settings):
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = False
    data = {
        "name": "Local",
        "region": "",
        "base_url": "http://127.0.0.1:9/",
        "api_key": "key-0123456789",
        "timezone": "UTC",
        "window_days": "7",
        "max_rps": "5",
        "active": "on",
    }
    response = admin_client.post(reverse("admin:netcore_netcoreaccount_add"), data)
    assert response.status_code == 200
    assert "documented addresses" in response.content.decode()
    assert not NetcoreAccount.objects.exists()


def admin_form(account: NetcoreAccount, **changes) -> dict:
    data = {
        "name": account.name,
        "region": account.region,
        "base_url": account.base_url,
        "api_key": "",
        "timezone": account.timezone,
        "window_days": str(account.window_days),
        "max_rps": str(account.max_rps),
        "active": "on",
    }
    return {**data, **changes}


def test_a_new_address_needs_the_key_again(admin_client, start_sandbox, api_key):
    first, second = start_sandbox(), start_sandbox()
    account = account_create(name="Main", base_url=first.url, api_key=api_key, max_rps=100)
    url = reverse("admin:netcore_netcoreaccount_change", args=[account.pk])

    # Only the address changes: refused, the account stays as it was.
    response = admin_client.post(url, admin_form(account, base_url=second.url))
    assert response.status_code == 200
    assert "enter the API key again" in response.content.decode()
    account.refresh_from_db()
    assert account.base_url == first.url

    # Changed behind the admin's back: "Check connection" refuses to send the key there.
    NetcoreAccount.objects.filter(pk=account.pk).update(base_url=second.url)
    data = {"action": "check_connection", "_selected_action": [account.pk]}
    checked = admin_client.post(reverse(CHANGELIST), data, follow=True)
    messages = [str(m) for m in checked.context["messages"]]
    assert messages == [
        f"Main: failed (account 'Main': its API key was entered for another address than "
        f"{second.url}; enter the key again)"
    ]
    assert second.requests == [] and first.requests == []

    # With the key entered again for the new address, it is used there.
    response = admin_client.post(url, admin_form(account, base_url=second.url, api_key=api_key))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.api_key_base_url == second.url
    checked = admin_client.post(reverse(CHANGELIST), data, follow=True)
    assert any(str(m).startswith("Main: ok") for m in checked.context["messages"])
    assert len(second.requests) == 1 and first.requests == []


def test_a_region_change_needs_the_key_again(api_key):
    account = account_create(name="Main", region="eu", api_key=api_key)
    account.region = "us"
    with pytest.raises(ValidationError) as refused:
        account.full_clean()
    assert "api_key" in refused.value.message_dict
    account.api_key = api_key
    account.full_clean()
    account.save()
    assert account.api_key_base_url == "https://api.netcoresmartech.com"


def test_a_redirect_is_a_permanent_error_and_is_not_followed(start_sandbox, api_key):
    elsewhere = start_sandbox(events_per_day=3)
    target = f"{elsewhere.url}/apiv2?type=export_data&activity=get_user_channel_activity_data"
    redirecting = start_sandbox(
        canned=CannedResponse(307, b"", {"Location": f"{target}&apikey={api_key}"})
    )
    client = make_client(make_account(redirecting.url, api_key), max_attempts=3)

    with pytest.raises(Redirected, match=r"redirect \(HTTP 307\), not followed"):
        client.fetch_window(**WINDOW)

    assert len(redirecting.requests) == 1  # permanent: not retried
    assert elsewhere.requests == []  # the primary key went nowhere else


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (CannedResponse(500, SERVER_TEXT.encode()), ServerError),
        (CannedResponse(404, SERVER_TEXT.encode()), RequestRejected),
        (CannedResponse(200, {"status": "fail", "details": SERVER_TEXT}), RequestRejected),
        (CannedResponse(200, {"status": SERVER_TEXT}), RequestRejected),
    ],
)
def test_causes_are_classified_and_never_carry_the_servers_text(
    start_sandbox, api_key, caplog, answer, error
):
    sandbox = start_sandbox(canned=answer)
    client = make_client(make_account(sandbox.url, api_key), max_attempts=1)

    with pytest.raises(error) as raised:
        client.fetch_window(**WINDOW)

    assert "Internal details" not in str(raised.value)
    assert len(str(raised.value)) < 120
    # The log keeps what the server wrote, for whoever diagnoses it, without the primary key.
    assert "Internal details" in caplog.text
    assert WINDOW["primary_key"] not in caplog.text
