"""`manage.py netcore_account add|list|check`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from netcore.models import NetcoreAccount
from netcore.services import account_create
from tests.netcore.test_error_kinds_and_retries import free_port

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("netcore_account", *args, stdout=out)
    return out.getvalue()


def test_add_takes_the_key_from_the_environment(monkeypatch, api_key):
    monkeypatch.setenv("NETCORE_API_KEY", api_key)

    output = run("add", "--name", "India", "--region", "in", "--timezone", "Asia/Kolkata")

    account = NetcoreAccount.objects.get(name="India")
    assert account.api_key == api_key
    assert account.effective_base_url == "https://apiin.netcoresmartech.com"
    assert account.timezone == "Asia/Kolkata"
    assert api_key not in output
    assert f"…{api_key[-4:]}" in output


def test_add_with_a_base_url_and_limits(monkeypatch, api_key):
    monkeypatch.setenv("NETCORE_API_KEY", api_key)

    run(
        "add",
        "--name",
        "Local",
        "--base-url",
        "http://127.0.0.1:8765",
        "--window-days",
        "3",
        "--max-rps",
        "9",
    )

    account = NetcoreAccount.objects.get(name="Local")
    assert (account.base_url, account.window_days, account.max_rps) == (
        "http://127.0.0.1:8765",
        3,
        9,
    )


def test_add_without_the_environment_variable_fails(monkeypatch):
    monkeypatch.delenv("NETCORE_API_KEY", raising=False)

    with pytest.raises(CommandError, match="NETCORE_API_KEY"):
        run("add", "--name", "US", "--region", "us")

    assert not NetcoreAccount.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--timezone", "Nowhere/Special"],
        ["--window-days", "8"],
        ["--window-days", "0"],
        ["--max-rps", "0"],
    ],
)
def test_add_refuses_invalid_settings(monkeypatch, api_key, args):
    monkeypatch.setenv("NETCORE_API_KEY", api_key)

    with pytest.raises(CommandError):
        run("add", "--name", "US", "--region", "us", *args)

    assert not NetcoreAccount.objects.exists()


def test_add_refuses_a_duplicate_name(monkeypatch, api_key):
    monkeypatch.setenv("NETCORE_API_KEY", api_key)
    run("add", "--name", "US", "--region", "us")

    with pytest.raises(CommandError, match="already exists"):
        run("add", "--name", "US", "--region", "eu")


def test_list_shows_accounts_without_keys(api_key):
    account_create(name="Europe", region="eu", api_key=api_key, timezone="Europe/Berlin")

    output = run("list")

    assert "Europe" in output
    assert "https://euceeapi.netcorecloud.net" in output
    assert api_key not in output
    assert f"…{api_key[-4:]}" in output


def test_list_with_no_accounts():
    assert "No Netcore accounts" in run("list")


def test_check_ok(sandbox, api_key):
    account_create(name="Sandbox", base_url=sandbox.url, api_key=api_key)

    output = run("check", "Sandbox")

    assert output.startswith("Sandbox: ok")
    (request,) = sandbox.requests
    assert request.status == 200


def test_check_bad_key(sandbox):
    account_create(name="Sandbox", base_url=sandbox.url, api_key="wrong-key-1234")

    with pytest.raises(CommandError, match=r"Sandbox: bad key: .*HTTP 401"):
        run("check", "Sandbox")


def test_check_unreachable(api_key):
    account_create(name="Gone", base_url=f"http://127.0.0.1:{free_port()}", api_key=api_key)

    with pytest.raises(CommandError, match="Gone: unreachable: cannot reach") as raised:
        run("check", "Gone")

    assert api_key not in str(raised.value)


def test_check_server_error_is_reported_as_failed(start_sandbox, api_key):
    sandbox = start_sandbox(error_rate=1.0)
    account_create(name="Flaky", base_url=sandbox.url, api_key=api_key)

    with pytest.raises(CommandError, match="Flaky: failed: server error"):
        run("check", "Flaky")


def test_check_an_unknown_account():
    with pytest.raises(CommandError, match="No Netcore account named 'Nope'"):
        run("check", "Nope")
