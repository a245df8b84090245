import os
import time
from pathlib import Path

import pytest

from tests.factories import OfficerFactory, UserFactory


@pytest.fixture(autouse=True)
def custom_netcore_base_urls(settings, monkeypatch) -> None:
    """Tests call the sandbox on 127.0.0.1, as `make run` does: a development setup, which
    allows custom base URLs (here and in the worker processes a test starts). Tests of the
    production rule turn it off again."""
    settings.NETCORE_ALLOW_CUSTOM_BASE_URL = True
    monkeypatch.setenv("NETCORE_ALLOW_CUSTOM_BASE_URL", "true")


@pytest.fixture
def redis_url() -> str:
    """The Redis that CI provides; outside CI a missing Redis skips, in CI it fails loudly."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set in CI: the real Redis must be used")
        pytest.skip("REDIS_URL is not set")
    return url


@pytest.fixture
def postgres() -> None:
    """Tests that prove behaviour only PostgreSQL can show (row locks under real concurrency)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("DATABASE_URL must point at PostgreSQL in CI")
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")


@pytest.fixture
def officer(db):
    return OfficerFactory(username="olivia", first_name="Olivia", last_name="Officer")


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def outsider(db):
    """Signed in, but not a privacy officer."""
    return UserFactory(username="sam")


@pytest.fixture
def celery_workers(transactional_db, tmp_path):
    """Start real Celery worker processes with `celery_workers.start()`; stopped afterwards."""
    from tests.celery_workers import WorkerPool

    pool = WorkerPool(tmp_path)
    yield pool
    pool.stop_all()


# Where the browser walks save their screenshots (var/ is not committed), so a person can look.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
_SESSION_START = time.time()


def pytest_terminal_summary(terminalreporter):
    fresh = [p for p in SCREENSHOTS.rglob("*.png") if p.stat().st_mtime >= _SESSION_START]
    if fresh:
        terminalreporter.write_sep("-", "screenshots")
        terminalreporter.write_line(f"{len(fresh)} screenshots of the working day in {SCREENSHOTS}")
