"""An account's maximum requests per second, held across threads, processes and machines.

Each caller reserves the next free slot on a schedule spaced 1/rate seconds apart (GCRA with no
burst) and sleeps until its slot outside any lock, so callers never wait on each other beyond the
rate itself. With settings.REDIS_URL the schedule lives in Redis, updated by one Lua script (Redis
time, so clocks of different machines do not matter); without it, in this process.
"""

import threading
import time
from functools import cache
from typing import Protocol

import redis
from django.conf import settings

from netcore.errors import RateLimiterUnavailable

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
    def acquire(self, key: str, rate: float) -> None:
        """Block until the caller may send one request under `rate` requests per second."""


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

    def acquire(self, key: str, rate: float) -> None:
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

    def acquire(self, key: str, rate: float) -> None:
        wait = self.reserve(key, rate)
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
