from django.conf import settings
from django.core.management.base import BaseCommand

from cases.jobs.retention import (
    apply_retention,
    cases_due_for_anonymisation,
    cases_due_for_purge,
)


class Command(BaseCommand):
    help = (
        "Retention, both stages (cases on legal hold are left whole). Data: delete the events, "
        "collection data and reports of cases finished more than RETENTION_DAYS_AFTER_CLOSE days "
        "ago. Accountability: anonymise cases finished more than ACCOUNTABILITY_RETENTION_DAYS "
        "days ago (subject replaced by a pseudonym, the trail's personal values erased; the "
        "trail still verifies). Each is recorded in the case's trail. Beat runs this daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the cases that would be purged and anonymised; change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        days = settings.RETENTION_DAYS_AFTER_CLOSE
        accountability_days = settings.ACCOUNTABILITY_RETENTION_DAYS
        if dry_run:
            for case in cases_due_for_purge():
                self.stdout.write(
                    f"{case.reference} (finished {case.finished_at:%Y-%m-%d}): data to delete"
                )
            for case in cases_due_for_anonymisation():
                self.stdout.write(
                    f"{case.reference} (finished {case.finished_at:%Y-%m-%d}): to anonymise"
                )
            return
        run = apply_retention()
        for item in run.purged:
            self.stdout.write(
                f"{item.reference}: {item.events} events, {item.windows} windows, "
                f"{item.reports} reports, {item.files} files deleted"
            )
        for item in run.anonymised:
            self.stdout.write(
                f"{item.reference}: anonymised as {item.pseudonym}; personal values of "
                f"{item.entries_erased} trail entries erased, {item.notes_deleted} notes deleted"
            )
        self.stdout.write(f"{len(run.purged)} cases purged (finished more than {days} days ago).")
        self.stdout.write(
            f"{len(run.anonymised)} cases anonymised "
            f"(finished more than {accountability_days} days ago)."
        )
