from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.forms import CaseForm
from cases.languages import LANGUAGE_NAMES
from cases.regimes import REGIMES
from cases.services import case_create


class Command(BaseCommand):
    help = "Log an access request; prints the new reference alone on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--subject-name", required=True)
        parser.add_argument("--subject-email", required=True)
        parser.add_argument("--primary-key", action="append", required=True, dest="primary_keys")
        parser.add_argument("--channels", required=True, help="Comma-separated: email,sms")
        parser.add_argument("--from", required=True, dest="search_from", help="YYYY-MM-DD")
        parser.add_argument("--to", required=True, dest="search_to", help="YYYY-MM-DD")
        parser.add_argument("--received", dest="received_on", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--officer", help="Username of the assigned officer")
        parser.add_argument(
            "--regime",
            choices=list(REGIMES),
            help="The law the request is answered under (default: the organisation profile's)",
        )

        parser.add_argument(
            "--language",
            choices=list(LANGUAGE_NAMES),
            help="The subject's language for the report, emails and download pages "
            "(default: the organisation profile's)",
        )

    def handle(self, *args, **options):
        officer = None
        if options["officer"]:
            officer = get_user_model().objects.filter(username=options["officer"]).first()
            if officer is None:
                raise CommandError(f"officer: no user named {options['officer']!r}.")
        data = {
            "subject_name": options["subject_name"],
            "subject_email": options["subject_email"],
            "primary_keys": "\n".join(options["primary_keys"]),
            "channels": [c.strip() for c in options["channels"].split(",") if c.strip()],
            "search_from": options["search_from"],
            "search_to": options["search_to"],
            "received_on": options["received_on"] or timezone.localdate().isoformat(),
            "regime": options["regime"] or "",
            "language": options["language"] or "",
            "assigned_officer": officer.pk if officer else "",
        }
        form = CaseForm(data)
        if not form.is_valid():
            lines = [
                f"{'error' if name == '__all__' else name}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            ]
            raise CommandError("\n".join(lines))
        case = case_create(actor=None, **form.cleaned_data)
        self.stdout.write(case.reference)
