"""Writes for Netcore accounts: every account is created through here, validated."""

from django.db import IntegrityError, transaction

from netcore.models import NetcoreAccount

SANDBOX_ACCOUNT_NAME = "Sandbox"


def account_create(
    *,
    name: str,
    region: str | None = None,
    base_url: str | None = None,
    api_key: str,
    timezone: str = "UTC",
    window_days: int = 7,
    max_rps: int = 5,
    active: bool = True,
) -> NetcoreAccount:
    """Create a Netcore account after full validation; raises django ValidationError.

    Give either `region` (us, in, eu) or `base_url`, not both.
    """
    account = NetcoreAccount(
        name=name,
        region=region or "",
        base_url=base_url or "",
        timezone=timezone,
        window_days=window_days,
        max_rps=max_rps,
        active=active,
    )
    account.api_key = api_key  # validates the key's form, encrypts it
    account.full_clean()
    account.save()
    return account


def account_create_sandbox_if_none(*, base_url: str, api_key: str) -> NetcoreAccount | None:
    """Create the "Sandbox" account pointing at the local sandbox, only while no account exists.

    Returns the new account, or None when some account already exists (also when another
    process created one at the same moment).
    """
    if NetcoreAccount.objects.exists():
        return None
    try:
        with transaction.atomic():
            # The sandbox is local: a limit above what a worker pool can send never brakes it.
            return account_create(
                name=SANDBOX_ACCOUNT_NAME, base_url=base_url, api_key=api_key, max_rps=200
            )
    except IntegrityError:
        return None
