from django.core.management.base import BaseCommand, CommandError

from cases.jobs.anchor import AnchorError, audit_anchor


class Command(BaseCommand):
    help = (
        "Write the audit ledger's head (time, entries, hash) to AUDIT_ANCHOR_FILE and/or "
        "AUDIT_ANCHOR_EMAIL, outside the database; verify_audit --anchor FILE checks against it."
    )

    def handle(self, *args, **options):
        try:
            anchor, written = audit_anchor()
        except AnchorError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(anchor.line())
        self.stderr.write(f"written to {', '.join(written)}")
