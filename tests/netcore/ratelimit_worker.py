"""A separate process fetching windows through the Redis rate limiter (for the rate limit test).

Usage: python -m tests.netcore.ratelimit_worker BASE_URL ACCOUNT_NAME RATE REQUESTS THREADS
with NETCORE_API_KEY and REDIS_URL in the environment.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import django


def main() -> None:
    base_url, name, rate, requests, threads = sys.argv[1:6]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar_portal.settings")
    django.setup()
    from netcore.client import NetcoreClient
    from netcore.models import NetcoreAccount
    from netcore.ratelimit import RedisRateLimiter

    account = NetcoreAccount(
        name=name, base_url=base_url, api_key=os.environ["NETCORE_API_KEY"], max_rps=int(rate)
    )
    client = NetcoreClient(
        account, rate_limiter=RedisRateLimiter(os.environ["REDIS_URL"]), max_attempts=1
    )

    def fetch(index: int) -> int:
        day = date(2025, 1, 1) + timedelta(days=index)
        result = client.fetch_window(
            primary_key=f"{name}-{os.getpid()}", channel="sms", start=day, end=day
        )
        return len(result.records)

    with ThreadPoolExecutor(int(threads)) as pool:
        list(pool.map(fetch, range(int(requests))))


if __name__ == "__main__":
    main()
