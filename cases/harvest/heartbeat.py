"""Claims kept alive: while a process holds windows, one thread of it renews their `heartbeat_at`
every HARVEST_HEARTBEAT_SECONDS, so the watchdog tells a slow window (its heartbeat fresh) from one
whose worker died (stale), and a slow window is never taken twice.

A claim is renewed only while it is the window's latest (the `attempts` token) and for no longer
than the task's hard time limit: past it, the thread holding it is stuck, and the watchdog may
take the window back. The heartbeat thread runs only while windows are held, and uses a database
connection only for the moment of each beat: a connection error costs one beat, not the thread.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from cases.models import HarvestWindow, WindowStatus

logger = logging.getLogger(__name__)


class Heartbeat:
    """The claims this process holds, and the thread that renews them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # window id -> (claim token, renew until: time.monotonic())
        self._held: dict[int, tuple[int, float]] = {}
        self._thread: threading.Thread | None = None

    @contextmanager
    def keep_alive(self, window: HarvestWindow) -> Iterator[None]:
        """Renew the claim on `window` for as long as the block runs."""
        until = time.monotonic() + settings.HARVEST_WINDOW_TIME_LIMIT
        with self._lock:
            self._held[window.pk] = (window.attempts, until)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="harvest-heartbeat", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(window.pk, None)

    def _run(self) -> None:
        while True:
            time.sleep(settings.HARVEST_HEARTBEAT_SECONDS)
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
                now = time.monotonic()
                claims = [(pk, token) for pk, (token, end) in self._held.items() if end > now]
            if claims:
                self._renew(claims)

    @staticmethod
    def _renew(claims: list[tuple[int, int]]) -> None:
        held = reduce(or_, (Q(pk=pk, attempts=token) for pk, token in claims))
        try:
            HarvestWindow.objects.filter(held, status=WindowStatus.RUNNING).update(
                heartbeat_at=timezone.now()
            )
        except DatabaseError as exc:
            logger.warning("harvest heartbeat missed a beat: %s", type(exc).__name__)
        finally:
            # A connection a beat: beats are seconds apart, and none is left idle between them.
            connection.close()


heartbeat = Heartbeat()
