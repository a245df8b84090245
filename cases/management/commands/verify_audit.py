from django.core.management.base import BaseCommand, CommandError

from cases.audit import verify_chain
from cases.models import Case


class Command(BaseCommand):
    help = "Verify every case's audit hash chain (or one case's); exit non-zero on a break."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="Reference of one case to verify")

    def handle(self, *args, **options):
        cases = Case.objects.order_by("id").only("id", "reference", "audit_length")
        if options["case"]:
            cases = cases.filter(reference=options["case"])
            if not cases.exists():
                raise CommandError(f"No case {options['case']}.")
        entries = case_count = 0
        for case in cases.iterator():
            count, problem = verify_chain(case)
            if problem:
                raise CommandError(f"broken: {problem}")
            entries += count
            case_count += 1
        self.stdout.write(f"ok: {entries} entries in {case_count} cases")
