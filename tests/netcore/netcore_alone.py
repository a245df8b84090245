"""netcore/ in a Django project without the cases app, which cannot even be imported: every
module loads, the account command works, and a window is fetched from the sandbox.

Run by tests/netcore/test_netcore_is_independent_of_cases.py: python -m tests.netcore.netcore_alone
"""

import importlib
import importlib.abc
import io
import pkgutil
import sys
from datetime import date

from cryptography.fernet import Fernet

API_KEY = "alone-sandbox-key-0123456789"


class NoCases(importlib.abc.MetaPathFinder):
    """Refuses to import the cases app, however it is asked for."""

    def find_spec(self, name, path=None, target=None):
        if name == "cases" or name.startswith("cases."):
            raise ImportError(f"netcore imported {name}")
        return None


def main() -> None:
    sys.meta_path.insert(0, NoCases())
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "netcore",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        TIME_ZONE="Europe/London",
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        REDIS_URL="",
        NETCORE_SANDBOX_API_KEY=API_KEY,
        NETCORE_ALLOW_CUSTOM_BASE_URL=True,  # the sandbox, on this machine
        NETCORE_CONNECT_TIMEOUT=5.0,
        NETCORE_READ_TIMEOUT=10.0,
        NETCORE_MAX_ATTEMPTS=2,
        NETCORE_BACKOFF_INITIAL=0.01,
        NETCORE_BACKOFF_MAX=0.05,
        NETCORE_RETRY_AFTER_MAX=1.0,
        NETCORE_RATE_LIMITER_MAX_WAIT=1.0,
    )
    django.setup()
    import netcore

    for module in pkgutil.walk_packages(netcore.__path__, "netcore."):
        importlib.import_module(module.name)

    from django.core.management import call_command

    from netcore.client import NetcoreClient
    from netcore.sandbox import Sandbox
    from netcore.services import account_create

    call_command("migrate", verbosity=0)
    with Sandbox(api_key=API_KEY, seed=5, events_per_day=3) as sandbox:
        account = account_create(name="Alone", base_url=sandbox.url, api_key=API_KEY)
        day = date(2025, 1, 1)
        result = NetcoreClient(account).fetch_window(
            primary_key="ana@example.com", channel="email", start=day, end=day
        )
        assert [r.raw for r in result.records] == sandbox.expected_activity(
            "ana@example.com", "email", day, day
        )
    listing = io.StringIO()
    call_command("netcore_account", "list", stdout=listing)
    assert "Alone" in listing.getvalue()
    print(f"netcore alone: {len(result.records)} records")


if __name__ == "__main__":
    main()
