"""`manage.py netcore_sandbox`: serve the fake Netcore API on 127.0.0.1 until interrupted."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from netcore.sandbox import DEFAULT_EVENTS_PER_DAY, Sandbox


class Command(BaseCommand):
    help = "Serve a sandbox of the Netcore CE user channel activity API on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--api-key", default=None, help="default: settings.NETCORE_SANDBOX_API_KEY"
        )
        parser.add_argument("--latency-ms", type=float, default=0)
        parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of 500s")
        parser.add_argument("--throttle-rate", type=float, default=0.0, help="fraction of 429s")
        parser.add_argument("--truncate-rate", type=float, default=0.0)
        parser.add_argument("--slow-rate", type=float, default=0.0)
        parser.add_argument("--slow-ms", type=float, default=2000)
        parser.add_argument("--retry-after", default="1", help="Retry-After of 429 answers")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--events-per-day", type=int, default=DEFAULT_EVENTS_PER_DAY)

    def handle(self, *args, **options) -> None:
        api_key = options["api_key"] or settings.NETCORE_SANDBOX_API_KEY
        if not api_key:
            raise CommandError("No API key: pass --api-key or set NETCORE_SANDBOX_API_KEY.")
        try:
            sandbox = Sandbox(
                api_key=api_key,
                port=options["port"],
                seed=options["seed"],
                events_per_day=options["events_per_day"],
                latency_ms=options["latency_ms"],
                error_rate=options["error_rate"],
                throttle_rate=options["throttle_rate"],
                truncate_rate=options["truncate_rate"],
                slow_rate=options["slow_rate"],
                slow_ms=options["slow_ms"],
                retry_after=options["retry_after"],
                record_requests=False,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Netcore sandbox on http://127.0.0.1:{options['port']}/apiv2 "
            f"(API key …{api_key[-4:]}); Ctrl-C stops it."
        )
        try:
            sandbox.serve_forever()
        except KeyboardInterrupt:
            pass
        except OSError as error:
            raise CommandError(f"Cannot serve on port {options['port']}: {error}") from None
