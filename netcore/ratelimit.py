"""An account's maximum requests per second, held across threads, processes and machines.

Each caller reserves the next free slot on a schedule spaced 1/rate seconds apart (GCRA with no
burst) and sleeps until its slot outside any lock, so callers never wait on each other beyond the
rate itself. With settings.REDIS_URL the schedule lives in Redis, updated by one Lua script (Redis
time, so clocks of different machines do not matter); without it, in this process.

When Redis does not answer, the caller waits for it to come back (polling with backoff) until its
deadline or NETCORE_RATE_LIMITER_MAX_WAIT seconds, whichever is sooner, and only then raises
RateLimiterUnavailable: an outage of our own Redis delays requests, it never sends one unlimited.
"""

import logging
import threading
import time
from functools import cache
from typing import Protocol

import redis
from django.conf import settings

from netcore.errors import RateLimiterUnavailable

logger = logging.getLogger(__name__)
# Pauses between asks while Redis is away: short at first, since most outages are restarts.
OUTAGE_PAUSE_INITIAL = 0.1
OUTAGE_PAUSE_MAX = 2.0

# Reserve a slot: returns how many microseconds the caller must wait for it.
_RESERVE_SCRIPT = """
local interval = tonumber(ARGV[1])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_free, now)
local ttl_ms = math.ceil((slot + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', ttl_ms)
return string.format('%.0f', slot - now)
"""


class RateLimiter(Protocol):
    def acquire(self, key: str, rate: float, *, deadline: float | None = None) -> None:
        """Block until the caller may send one request under `rate` requests per second.

        `deadline` (time.monotonic()) bounds how long an unavailable limiter is waited for.
        """


class LocalRateLimiter:
    """The schedule in this process's memory: holds for all threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_free: dict[str, float] = {}

    def reserve(self, key: str, rate: float) -> float:
        """Reserve the next slot for `key`; returns the seconds to wait for it."""
        interval = 1.0 / rate
        with self._lock:
            now = time.monotonic()
            slot = max(self._next_free.get(key, 0.0), now)
            self._next_free[key] = slot + interval
        return slot - now

    def acquire(self, key: str, rate: float, *, deadline: float | None = None) -> None:
        wait = self.reserve(key, rate)
        if wait > 0:
            time.sleep(wait)


class RedisRateLimiter:
    """The schedule in Redis: holds for every process and machine sharing that Redis."""

    def __init__(self, url: str, *, prefix: str = "netcore:ratelimit:") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._reserve = self._redis.register_script(_RESERVE_SCRIPT)
        self._prefix = prefix

    def reserve(self, key: str, rate: float) -> float:
        """Reserve the next slot for `key`; returns the seconds to wait for it."""
        interval_us = max(1, round(1_000_000 / rate))
        try:
            wait_us = int(self._reserve(keys=[self._prefix + key], args=[interval_us]))
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(f"rate limiter (Redis) unavailable: {exc}") from None
        return wait_us / 1_000_000

    def acquire(self, key: str, rate: float, *, deadline: float | None = None) -> None:
        started = time.monotonic()
        give_up = started + settings.NETCORE_RATE_LIMITER_MAX_WAIT
        if deadline is not None:
            give_up = min(give_up, deadline)
        pause = OUTAGE_PAUSE_INITIAL
        while True:
            try:
                wait = self.reserve(key, rate)
                break
            except RateLimiterUnavailable as exc:
                left = give_up - time.monotonic()
                if left <= 0:
                    raise RateLimiterUnavailable(
                        f"{exc} (waited {time.monotonic() - started:.0f} s for it)"
                    ) from None
                if pause == OUTAGE_PAUSE_INITIAL:
                    logger.warning("%s; waiting up to %.0f s for it", exc, left)
                time.sleep(min(pause, left))
                pause = min(pause * 2, OUTAGE_PAUSE_MAX)
        if pause != OUTAGE_PAUSE_INITIAL:
            logger.warning(
                "rate limiter (Redis) answers again after %.1f s", time.monotonic() - started
            )
        if wait > 0:
            time.sleep(wait)


_local_limiter = LocalRateLimiter()


@cache
def _redis_limiter(url: str) -> RedisRateLimiter:
    return RedisRateLimiter(url)


def default_rate_limiter() -> RateLimiter:
    """Redis-backed when settings.REDIS_URL is set, else the process-wide local limiter."""
    if settings.REDIS_URL:
        return _redis_limiter(settings.REDIS_URL)
    return _local_limiter
