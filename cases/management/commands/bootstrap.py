import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from cases.access import OFFICERS_GROUP
from netcore.services import account_create_sandbox_if_none

FIRST_USERNAME = "officer"


class Command(BaseCommand):
    help = (
        "First-run set-up: an officer account (password printed once) when no officer exists, "
        "and a Netcore account for the local sandbox when no account exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-url", help="Base URL of the local Netcore sandbox")

    def handle(self, *args, **options):
        self.ensure_first_officer()
        if options["sandbox_url"]:
            self.ensure_sandbox_account(options["sandbox_url"])

    def ensure_first_officer(self) -> None:
        group = Group.objects.get(name=OFFICERS_GROUP)
        users = get_user_model().objects
        if users.filter(groups=group).exists() or users.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(15)
        user = users.create_user(
            FIRST_USERNAME, password=password, is_staff=True, is_superuser=True
        )
        user.groups.add(group)
        self.stdout.write(
            "\nFirst officer account created (this password is shown only once):\n"
            f"  username: {FIRST_USERNAME}\n  password: {password}\n\n"
        )

    def ensure_sandbox_account(self, base_url: str) -> None:
        account = account_create_sandbox_if_none(
            base_url=base_url, api_key=settings.NETCORE_SANDBOX_API_KEY
        )
        if account:
            self.stdout.write(f"Netcore account “{account.name}” points at the sandbox: {base_url}")
