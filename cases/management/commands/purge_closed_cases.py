from django.conf import settings
from django.core.management.base import BaseCommand

from cases.jobs.retention import cases_due_for_purge, purge_expired_cases


class Command(BaseCommand):
    help = (
        "Delete the events, collection data and reports of cases finished more than "
        "RETENTION_DAYS_AFTER_CLOSE days ago; the case and its audit trail stay (the purge is "
        "recorded in it). Beat runs this daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the cases that would be purged."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        days = settings.RETENTION_DAYS_AFTER_CLOSE
        if dry_run:
            for case in cases_due_for_purge():
                self.stdout.write(f"{case.reference} (finished {case.finished_at:%Y-%m-%d})")
            return
        purged = purge_expired_cases()
        for item in purged:
            self.stdout.write(
                f"{item.reference}: {item.events} events, {item.windows} windows, "
                f"{item.reports} reports, {item.files} files deleted"
            )
        self.stdout.write(f"{len(purged)} cases purged (finished more than {days} days ago).")
