from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.audit import verify_case, verify_ledger
from cases.jobs.anchor import AnchorError, anchor_problems, read_anchors
from cases.models import Case


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every case's hash chain, the global ledger linking them (a "
        "deleted case or a cut or re-hashed chain), each case's status, verification, recipient, "
        "due date, extension, legal hold and report files against what its trail says, each kept "
        "personal value against its commitment, and with --anchor that the ledger still extends "
        "every head in FILE. Prints the entries whose personal values retention erased. Exits "
        "non-zero on any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--case", help="Reference of one case to verify (skips the ledger walk)"
        )
        parser.add_argument(
            "--anchor",
            type=Path,
            metavar="FILE",
            help="anchors written by audit_anchor (one per line) that the ledger must extend",
        )

    def handle(self, *args, **options):
        problems: list[str] = []
        anchors = []
        if options["anchor"]:
            try:
                anchors = read_anchors(options["anchor"])
            except AnchorError as exc:
                raise CommandError(str(exc)) from None
        cases = Case.objects.order_by("id").values_list("id", flat=True)
        if options["case"]:
            cases = cases.filter(reference=options["case"])
            if not cases.exists():
                raise CommandError(f"No case {options['case']}.")
        else:
            ledger = verify_ledger()
            problems += ledger.problems
            references = set(Case.objects.values_list("reference", flat=True))
            problems += [
                f"{reference}: in the ledger, but there is no such case (deleted)"
                for reference in sorted(ledger.references - references)
            ]
        entries = case_count = redacted = 0
        for case_id in cases.iterator():
            found = verify_case(case_id)
            problems += found.problems
            entries += found.entries
            redacted += found.redacted
            case_count += 1
        problems += anchor_problems(anchors)
        if problems:
            listed = "\n".join(f"broken: {problem}" for problem in problems)
            raise CommandError(f"{len(problems)} problem(s) in the audit trail:\n{listed}")
        anchored = f"; the ledger extends {len(anchors)} anchored head(s)" if anchors else ""
        self.stdout.write(
            f"ok: {entries} entries in {case_count} cases; {redacted} redacted{anchored}"
        )
