"""First run: an officer account and an admin account (each password shown once), a Netcore
account for the local sandbox; with --announce, the address and the passwords are printed last,
once the portal answers there (and the worker is ready), set apart from the log.

The officer works cases: staff, in the "Privacy officers" group, not a superuser. The admin is a
superuser, for the Django admin. Neither is made again once such an account exists.
"""

import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from cases.access import OFFICERS_GROUP
from netcore.services import account_create_sandbox_if_none

OFFICER_USERNAME = "officer"
ADMIN_USERNAME = "admin"
ANNOUNCE_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.25
RULE = "═" * 72


class Command(BaseCommand):
    help = (
        "First-run set-up: an officer account and an admin account when none exists (passwords "
        "printed once), and a Netcore account for the local sandbox when no account exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-url", help="Base URL of the local Netcore sandbox")
        parser.add_argument(
            "--announce",
            metavar="URL",
            help="Wait until the portal answers at URL, then print it and the passwords",
        )
        parser.add_argument(
            "--worker-ready-file",
            help="With --announce, also wait for this file (the worker's CELERY_READY_FILE)",
        )

    def handle(self, *args, **options):
        created = [account for account in (self.ensure_officer(), self.ensure_admin()) if account]
        if options["sandbox_url"]:
            self.ensure_sandbox_account(options["sandbox_url"])
        if options["announce"]:
            ready = self.wait_until_up(options["announce"], options["worker_ready_file"])
            self.announce(options["announce"], created, ready)
        else:
            self.print_accounts(created)

    def ensure_officer(self) -> tuple[str, str, str] | None:
        group = Group.objects.get(name=OFFICERS_GROUP)
        users = get_user_model().objects
        if users.filter(groups=group, is_active=True).exists():
            return None
        password = secrets.token_urlsafe(15)
        user = users.create_user(
            OFFICER_USERNAME, password=password, is_staff=True, is_superuser=False
        )
        user.groups.add(group)
        return ("Officer", OFFICER_USERNAME, password)

    def ensure_admin(self) -> tuple[str, str, str] | None:
        users = get_user_model().objects
        if users.filter(is_superuser=True, is_active=True).exists():
            return None
        password = secrets.token_urlsafe(15)
        users.create_superuser(ADMIN_USERNAME, email="", password=password)
        return ("Admin", ADMIN_USERNAME, password)

    def ensure_sandbox_account(self, base_url: str) -> None:
        account = account_create_sandbox_if_none(
            base_url=base_url, api_key=settings.NETCORE_SANDBOX_API_KEY
        )
        if account:
            self.stdout.write(f"Netcore account “{account.name}” points at the sandbox: {base_url}")

    def wait_until_up(self, url: str, ready_file: str | None) -> bool:
        """True once `url`'s health check answers (any status) and `ready_file` exists."""
        health = url.rstrip("/") + "/healthz"
        deadline = time.monotonic() + ANNOUNCE_TIMEOUT_SECONDS
        answered = False
        while time.monotonic() < deadline:
            if not answered:
                try:
                    with urllib.request.urlopen(health, timeout=2):  # noqa: S310 (our own URL)
                        answered = True
                except urllib.error.HTTPError:
                    answered = True  # it answers: 503 only says the broker is not up yet
                except OSError:
                    pass
            if answered and (not ready_file or Path(ready_file).exists()):
                return True
            time.sleep(POLL_SECONDS)  # nothing to wait on but the other processes' start
        return False

    def print_accounts(self, created: list[tuple[str, str, str]]) -> None:
        for role, username, password in created:
            self.stdout.write(
                f"{role} account created (this password is shown only once): "
                f"username {username}, password {password}"
            )

    def announce(self, url: str, created: list[tuple[str, str, str]], ready: bool) -> None:
        lines = ["", RULE, f"  The DSAR portal is running: {url}"]
        if not ready:
            lines[-1] = f"  The DSAR portal should be at {url} (it did not answer in time)"
        lines.append("")
        if created:
            for role, username, password in created:
                lines.append(f"  {role + ':':9} username {username:9} password {password}")
            lines += ["", "  These passwords are shown only this once."]
        else:
            lines.append("  Sign in with your accounts (made on the first run).")
        made = {role for role, _u, _p in created}
        if "Officer" not in made:
            lines.append(
                f"  Forgot the officer's password: python manage.py changepassword "
                f"{OFFICER_USERNAME}"
            )
        if "Admin" not in made:
            lines.append("  Another admin account: python manage.py createsuperuser")
        lines += ["  Ctrl-C stops the portal.", RULE, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
