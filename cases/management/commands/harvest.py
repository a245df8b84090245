from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.progress import harvest_progress
from cases.harvest.window import harvest_finish_if_complete, harvest_window
from cases.models import Case, WindowStatus
from cases.services import CaseRuleError


class Command(BaseCommand):
    help = (
        "Start collecting a case's Netcore activity on the Celery workers, or with --sync run "
        "every pending or failed window here and now (no broker needed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference")
        parser.add_argument("--sync", action="store_true", help="Run the windows in this process")
        parser.add_argument(
            "--concurrency", type=int, default=4, help="Windows fetched at once with --sync"
        )

    def handle(self, *args, reference, sync, concurrency, **options):
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference}.")
        try:
            if not sync:
                windows = planning.harvest_start(case=case, actor=None)
                self.stdout.write(f"{case.reference}: {len(windows)} windows queued")
                return
            self.prepare_sync(case)
        except CaseRuleError as exc:
            raise CommandError(str(exc)) from exc
        # Windows given back for another try come round again, up to HARVEST_MAX_ATTEMPTS.
        while window_ids := queue_here(case.pk):
            if concurrency <= 1:
                for window_id in window_ids:
                    harvest_window(window_id, dispatch=False)
            else:
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    list(pool.map(self.run_window, window_ids))
        harvest_finish_if_complete(case.pk)
        self.report(case)

    def prepare_sync(self, case: Case) -> None:
        """Plan the case if it never was, or put its failed windows back in line (audited)."""
        if not case.windows.exists():
            planning.harvest_start(case=case, actor=None, enqueue=False)
        elif case.windows.filter(status=WindowStatus.FAILED).exists():
            planning.harvest_retry_failed(case=case, actor=None, enqueue=False)

    @staticmethod
    def run_window(window_id: int) -> str:
        try:
            return harvest_window(window_id, dispatch=False)
        finally:
            connection.close()  # each thread has its own connection

    def report(self, case: Case) -> None:
        case.refresh_from_db()
        progress = harvest_progress(case)
        self.stdout.write(f"{case.reference}: {case.get_status_display()}")
        for channel, count in progress.events_per_channel.items():
            self.stdout.write(f"  {channel}: {count} events")
        self.stdout.write(f"  windows: {progress.done} done of {progress.total}")
        for window in progress.failed:
            self.stdout.write(
                f"  failed: window #{window.pk} {window.channel} "
                f"{window.start}–{window.end}: {window.last_error}"
            )
        if progress.failed:
            raise CommandError(f"{len(progress.failed)} windows failed.")
