"""`manage.py netcore_account add|list|check`: Netcore accounts from the command line.

The API key comes only from the NETCORE_API_KEY environment variable: a command line is visible
to every user of the machine.
"""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from netcore.client import check_account
from netcore.models import NetcoreAccount, Region
from netcore.services import account_create
from netcore.windows import MAX_WINDOW_DAYS

API_KEY_VARIABLE = "NETCORE_API_KEY"


class Command(BaseCommand):
    help = "Add, list or check Netcore CE accounts (the key is read from $NETCORE_API_KEY)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser(
            "add", help=f"add an account; the key comes from ${API_KEY_VARIABLE}"
        )
        add.add_argument("--name", required=True)
        where = add.add_mutually_exclusive_group(required=True)
        where.add_argument("--region", choices=Region.values)
        where.add_argument("--base-url")
        add.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Athens")
        add.add_argument("--window-days", type=int, default=MAX_WINDOW_DAYS)
        add.add_argument("--max-rps", type=int, default=5)
        actions.add_parser("list", help="list accounts (keys are never shown)")
        check = actions.add_parser("check", help="make one real request with an account")
        check.add_argument("name")

    def handle(self, *args, **options) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict) -> None:
        api_key = os.environ.get(API_KEY_VARIABLE, "")
        if not api_key:
            raise CommandError(
                f"Set the API key in the {API_KEY_VARIABLE} environment variable "
                "(it is never taken from the command line)."
            )
        if NetcoreAccount.objects.filter(name=options["name"]).exists():
            raise CommandError(f"An account named {options['name']!r} already exists.")
        try:
            account = account_create(
                name=options["name"],
                region=options["region"],
                base_url=options["base_url"],
                api_key=api_key,
                timezone=options["timezone"],
                window_days=options["window_days"],
                max_rps=options["max_rps"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(_messages(error))) from None
        where, key = account.effective_base_url, account.api_key_masked
        self.stdout.write(self.style.SUCCESS(f"Added {account.name} ({where}, key {key})."))

    def _list(self, options: dict) -> None:
        accounts = NetcoreAccount.objects.all()
        if not accounts:
            self.stdout.write("No Netcore accounts.")
            return
        for account in accounts:
            state = "active" if account.active else "inactive"
            self.stdout.write(
                f"{account.name}\t{account.effective_base_url}\tkey {account.api_key_masked}\t"
                f"{account.timezone}\t{account.window_days}-day windows\t"
                f"{account.max_rps} req/s\t{state}"
            )

    def _check(self, options: dict) -> None:
        try:
            account = NetcoreAccount.objects.get(name=options["name"])
        except NetcoreAccount.DoesNotExist:
            raise CommandError(f"No Netcore account named {options['name']!r}.") from None
        result = check_account(account)
        if not result.ok:
            raise CommandError(f"{account.name}: {result.outcome}: {result.detail}")
        self.stdout.write(self.style.SUCCESS(f"{account.name}: ok ({result.detail})"))


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, items in error.message_dict.items() for m in items]
    return list(error.messages)
