"""What was collected from Netcore: one row per window asked for, one row per event received."""

from django.db import models

from netcore.records import RECORD_FIELD_NAMES

from .case import Case, Channel


class WindowStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # planned, waiting for the dispatcher
    QUEUED = "queued", "Queued"  # its message is in the broker
    RUNNING = "running", "Running"  # claimed by a worker
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class WindowFailure(models.TextChoices):
    """Why a window failed (or, while it is tried again, why its last try did not finish): what
    an officer reads, with the next step in NEXT_STEPS. The raw cause (`last_error`) is for
    admins."""

    # Netcore's side, from the client's typed errors after its own retries (netcore/errors.py).
    KEY_REFUSED = "key_refused", "Key or address refused"
    RANGE_REFUSED = "range_refused", "Request refused"
    NETCORE_DOWN = "netcore_down", "Netcore unavailable"
    RATE_LIMITED = "rate_limited", "Rate limited"
    TIMED_OUT = "timed_out", "Timed out"
    UNREACHABLE = "unreachable", "Netcore unreachable"
    UNREADABLE = "unreadable", "Unreadable answer"
    NETCORE = "netcore", "Netcore error"  # another Netcore error, and windows failed before
    # Our own parts.
    RATE_LIMITER = "rate_limiter", "Rate limiter unavailable"  # our Redis, not Netcore
    DATABASE = "database", "Database error"
    TIME_LIMIT = "time_limit", "Time limit reached"
    WORKER_LOST = "worker_lost", "Worker lost"  # claimed, and its worker stopped answering
    INTERNAL = "internal", "Internal error"  # a bug: the log has the traceback


_TRY_AGAIN_LATER = "Try again later with “Retry failed windows”."
_TELL_ADMIN = "If it happens again, tell an administrator."
NEXT_STEPS = {
    WindowFailure.KEY_REFUSED: "An administrator checks the account's API key and address in "
    "the admin (Netcore accounts → Check), then you retry the failed windows.",
    WindowFailure.RANGE_REFUSED: "Netcore refused the request itself: check the case's primary "
    "keys and search period, then retry; an administrator can read the cause.",
    WindowFailure.NETCORE_DOWN: f"Netcore answered with an error of its own. {_TRY_AGAIN_LATER}",
    WindowFailure.RATE_LIMITED: "Netcore asked us to slow down more often than we could wait. "
    f"{_TRY_AGAIN_LATER}",
    WindowFailure.TIMED_OUT: f"Netcore did not answer in time. {_TRY_AGAIN_LATER}",
    WindowFailure.UNREACHABLE: "Netcore could not be reached. Try again later; if it lasts, an "
    "administrator checks the account's address and the network.",
    WindowFailure.UNREADABLE: f"Netcore's answer was cut off or malformed. {_TRY_AGAIN_LATER}",
    WindowFailure.NETCORE: f"{_TRY_AGAIN_LATER} {_TELL_ADMIN}",
    WindowFailure.RATE_LIMITER: "Our own rate limiter (Redis) was down. Retry the failed windows "
    f"once it is back. {_TELL_ADMIN}",
    WindowFailure.DATABASE: f"Our database failed. {_TRY_AGAIN_LATER} {_TELL_ADMIN}",
    WindowFailure.TIME_LIMIT: f"The window took longer than allowed. {_TRY_AGAIN_LATER}",
    WindowFailure.WORKER_LOST: f"The worker stopped while fetching it. {_TRY_AGAIN_LATER}",
    WindowFailure.INTERNAL: "An error of the portal's own: tell an administrator (the log has "
    "the details); retrying may not help.",
}


class HarvestWindow(models.Model):
    """One request's worth of a case's collection: account × primary key × channel × ≤7 days.

    The window is the unit of idempotency: its events are replaced and it is marked done in one
    transaction. `attempts` counts every claim ever made and doubles as a fencing token: only the
    latest claim may store. `tries` counts the claims since the collection (or the officer's last
    retry) started; at HARVEST_MAX_ATTEMPTS the window fails instead of being tried again.
    `heartbeat_at` is renewed while a worker holds the claim: a stale one means the worker died.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="windows")
    account = models.ForeignKey("netcore.NetcoreAccount", on_delete=models.PROTECT)
    primary_key = models.CharField(max_length=255)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(
        max_length=8, choices=WindowStatus.choices, default=WindowStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    tries = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=16, choices=WindowFailure.choices, blank=True)
    last_error = models.TextField(blank=True)  # the raw cause: for admins
    event_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Host and process of the worker that last claimed the window (for operators).
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["case_id", "account_id", "primary_key", "channel", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "account", "primary_key", "channel", "start"],
                name="one_window_per_slice",
            )
        ]
        indexes = [
            # Also reads a page of a case's failed windows in order without sorting them all.
            models.Index(
                fields=["case", "status", "channel", "start", "id"], name="window_case_status"
            ),
            models.Index(fields=["status"]),
            # The dispatcher's fairness: windows each case had queued lately.
            models.Index(fields=["queued_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel} {self.start}–{self.end}"

    @property
    def next_step(self) -> str:
        """What the officer does about this window's failure, in plain words."""
        return NEXT_STEPS.get(self.failure, "")


class ActivityEvent(models.Model):
    """One event of the subject's channel activity, as Netcore reported it."""

    # The fields read from a Netcore record (besides `raw`, which keeps the whole record).
    NETCORE_FIELDS = ("occurred_at", *RECORD_FIELD_NAMES)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    window = models.ForeignKey(HarvestWindow, on_delete=models.CASCADE, related_name="events")
    # Order within the window as Netcore sent it: identical records stay distinct events.
    # Every text from Netcore is unbounded TextField: an unexpected length must not lose a window.
    position = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    activity = models.TextField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    activity_date_raw = models.TextField(blank=True)
    message_id = models.TextField(blank=True)
    message_name = models.TextField(blank=True)
    ip = models.TextField(blank=True)
    device = models.TextField(blank=True)
    os = models.TextField(blank=True)
    browser = models.TextField(blank=True)
    link = models.TextField(blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "position"], name="one_event_per_position")
        ]
        indexes = [
            models.Index(fields=["case", "occurred_at", "id"]),
            models.Index(fields=["case", "channel", "activity"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.activity} {self.activity_date_raw}"
