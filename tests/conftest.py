import contextlib
import os
import time
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.storage import storages
from django.db.models import FileField

from dsar_portal.celery import app
from tests.factories import OfficerFactory, UserFactory
from tests.private_redis import PrivateRedis


@contextlib.contextmanager
def queue_of_its_own(label: str):
    """Tasks sent meanwhile go to a new queue, emptied at the end (no worker takes them)."""
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue = f"test-{label}-{uuid.uuid4().hex[:12]}"
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous
        with app.connection_for_write() as broker, contextlib.suppress(broker.channel_errors):
            broker.default_channel.queue_purge(queue)


@pytest.fixture(autouse=True, scope="session")
def unconsumed_queue():
    """Tasks sent by tests without workers never reach a queue a real worker takes from."""
    with queue_of_its_own("unconsumed") as queue:
        yield queue


@pytest.fixture
def own_queue():
    """An empty queue of the test's own for the tasks it sends (none is run)."""
    with queue_of_its_own("own") as queue:
        yield queue


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


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own (stop() and start() it); stopped afterwards."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_storage(tmp_path, settings, monkeypatch):
    """Reports (and their exports) go to a private folder of the test's own, never under a served
    URL; worker processes the test starts need PRIVATE_STORAGE_ROOT set to it."""
    folder = tmp_path / "private"
    root = Path(settings.PRIVATE_STORAGE_ROOT).resolve()
    settings.PRIVATE_STORAGE_ROOT = folder
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder, "base_url": None},
        },
    }
    # The file fields took their storage when the models loaded: every one storing under the
    # private root (report versions, their exports, delivery copies) now stores in the folder.
    private = storages["private"]
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField) and Path(field.storage.location).resolve() == root:
                monkeypatch.setattr(field, "storage", private)
    return folder
