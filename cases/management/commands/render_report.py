from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from cases.models import Case
from cases.reports.document import Acknowledgement, ReportError, render_report


class Command(BaseCommand):
    help = (
        "Render a case's access report to a file now (no version is recorded, nothing is sent) "
        "and print its SHA-256 and page count."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Case reference, e.g. DSAR-2026-0042")
        parser.add_argument("--output", required=True, help="Where to write the PDF")
        parser.add_argument(
            "--acknowledge-gaps",
            action="store_true",
            help="Render even though some windows failed (the report states the gaps)",
        )
        parser.add_argument(
            "--processes", type=int, help="Worker processes (default REPORT_RENDER_PROCESSES)"
        )

    def handle(self, *args, **options):
        case = Case.objects.filter(reference=options["reference"]).first()
        if case is None:
            raise CommandError(f"No case {options['reference']}.")
        version = (case.reports.aggregate(v=Max("version"))["v"] or 0) + 1
        acknowledgement = (
            Acknowledgement(by="the privacy officer", on=timezone.localdate())
            if options["acknowledge_gaps"]
            else None
        )
        try:
            result = render_report(
                case,
                Path(options["output"]),
                version=version,
                acknowledgement=acknowledgement,
                processes=options["processes"],
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"sha256 {result.sha256}")
        self.stdout.write(f"pages {result.pages}")
        self.stdout.write(f"events {result.event_count}")
        self.stdout.write(f"messages {result.message_count}")
        self.stdout.write(f"bytes {result.size}")
