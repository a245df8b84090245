"""Accounts: encrypted keys (with rotation), validation, base URLs, the sandbox bootstrap."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from netcore.client import NetcoreClient, check_account
from netcore.encryption import DecryptionFailed
from netcore.errors import ApiKeyUnreadable
from netcore.models import NetcoreAccount
from netcore.services import account_create, account_create_sandbox_if_none

pytestmark = pytest.mark.django_db


def test_the_key_is_stored_encrypted_and_read_back(api_key):
    account = account_create(name="US", region="us", api_key=api_key)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM netcore_netcoreaccount WHERE id = %s", [account.pk])
        row = " ".join(map(str, cursor.fetchone()))
    assert api_key not in row
    assert NetcoreAccount.objects.get(pk=account.pk).api_key == api_key
    assert account.api_key_last4 == api_key[-4:]


def test_str_and_repr_show_the_name_only(api_key):
    account = account_create(name="US", region="us", api_key=api_key)

    assert str(account) == "US"
    assert api_key not in repr(account)


def test_keys_can_be_rotated(settings, api_key):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    account = account_create(name="US", region="us", api_key=api_key)

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert account.api_key == api_key  # the old key still decrypts
    account.rotate_api_key_encryption()
    account.save()

    settings.FIELD_ENCRYPTION_KEY = new_key
    assert NetcoreAccount.objects.get(pk=account.pk).api_key == api_key


def test_a_lost_encryption_key_is_a_clear_error(settings, api_key):
    account = account_create(name="US", region="us", api_key=api_key)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(DecryptionFailed, match="cannot be decrypted"):
        _ = account.api_key


@pytest.mark.parametrize(
    ("region", "base_url"),
    [
        ("us", "https://api.netcoresmartech.com"),
        ("in", "https://apiin.netcoresmartech.com"),
        ("eu", "https://euceeapi.netcorecloud.net"),
    ],
)
def test_regions_have_their_documented_base_urls(api_key, region, base_url):
    account = account_create(name=region, region=region, api_key=api_key)

    assert account.effective_base_url == base_url


def test_a_base_url_override_wins(api_key):
    account = account_create(name="Local", base_url="http://127.0.0.1:8765/", api_key=api_key)

    assert account.effective_base_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    "fields",
    [
        {"region": "us", "base_url": "https://example.com"},
        {},
        {"region": "xx"},
        {"region": "us", "timezone": "Europe/Atlantis"},
        {"region": "us", "window_days": 8},
        {"region": "us", "window_days": 0},
        {"region": "us", "max_rps": 0},
        {"base_url": "not a url"},
    ],
)
def test_invalid_accounts_are_refused(api_key, fields):
    with pytest.raises(ValidationError):
        account_create(name="Bad", api_key=api_key, **fields)

    assert not NetcoreAccount.objects.exists()


@pytest.mark.parametrize("key", ["", "short", " padded-key-123 "])
def test_implausible_keys_are_refused(key):
    with pytest.raises(ValidationError):
        account_create(name="Bad", region="us", api_key=key)


def test_the_database_refuses_region_and_base_url_together(api_key):
    account = NetcoreAccount(name="Both", region="us", base_url="https://example.com")
    account.api_key = api_key

    with pytest.raises(IntegrityError):
        account.save()


def test_names_are_unique(api_key):
    account_create(name="US", region="us", api_key=api_key)

    with pytest.raises(ValidationError):
        account_create(name="US", region="eu", api_key=api_key)


def test_the_sandbox_account_is_created_only_when_there_is_none(api_key):
    created = account_create_sandbox_if_none(base_url="http://127.0.0.1:8765", api_key=api_key)
    again = account_create_sandbox_if_none(base_url="http://127.0.0.1:9999", api_key=api_key)

    assert created.name == "Sandbox"
    assert created.effective_base_url == "http://127.0.0.1:8765"
    assert created.api_key == api_key
    assert again is None
    assert NetcoreAccount.objects.count() == 1


def test_no_sandbox_account_when_a_real_one_exists(api_key):
    account_create(name="US", region="us", api_key=api_key)

    assert account_create_sandbox_if_none(base_url="http://127.0.0.1:8765", api_key=api_key) is None


def test_an_undecryptable_key_makes_the_check_fail_with_the_cause(settings, api_key):
    account = account_create(name="US", region="us", api_key=api_key)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    result = check_account(account)

    assert not result.ok
    assert "cannot be decrypted" in result.detail
    with pytest.raises(ApiKeyUnreadable):
        NetcoreClient(account)
