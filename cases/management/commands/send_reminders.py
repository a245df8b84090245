from django.core.management.base import BaseCommand

from cases.jobs.reminders import send_deadline_reminders


class Command(BaseCommand):
    help = (
        "Email each officer today's deadline reminder (cases due within REMINDER_DAYS_AHEAD days "
        "or overdue); cases already reminded about today are skipped. Beat runs this hourly."
    )

    def handle(self, *args, **options):
        count = send_deadline_reminders()
        self.stdout.write(f"{count} cases reminded about.")
