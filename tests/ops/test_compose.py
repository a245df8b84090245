"""docker-compose.yml is a valid Compose file describing the production topology, and its
commands are the ones the native topology test runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.topology import APP_SERVICES, BASE_DIR, COMPOSE_FILE, compose, native_command

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


@pytest.fixture(scope="module")
def services() -> dict:
    return compose()["services"]


def test_valid_against_the_compose_specification():
    # The schema is the one vendored in check-jsonschema: no network needed.
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_the_parts_are_there(services):
    assert set(services) >= {*APP_SERVICES, "postgres", "redis", "mailpit"}


def test_app_services_share_one_image_and_the_env_file(services):
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_LOG_FORMAT"] == "json"
    assert (BASE_DIR / "Dockerfile").is_file()
    assert (BASE_DIR / ".env.example").is_file()


def test_workers_scale_out(services):
    worker = services["worker"]
    # `docker compose up --scale worker=N` refuses a fixed name or host port.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "-n" not in worker["command"] and "--hostname" not in worker["command"]


def test_migrations_run_before_the_portal_starts(services):
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_redis_never_drops_or_forgets_a_task(services):
    command = services["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_postgres_keeps_its_data_in_a_volume(services):
    volumes = services["postgres"]["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in volumes
    assert "pgdata" in compose()["volumes"]


def test_health_checks(services):
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "dsar_portal.health" in services["web"]["healthcheck"]["test"]


def test_web_and_workers_share_the_private_storage(services):
    for name in ("web", "worker"):
        assert "private:/var/lib/dsar/private" in services[name]["volumes"]
        assert services[name]["environment"]["PRIVATE_STORAGE_ROOT"] == "/var/lib/dsar/private"


def test_the_native_test_runs_the_compose_commands(services):
    """Only the bind address and worker node names differ (see tests/ops/topology.py)."""
    for name in APP_SERVICES:
        command = services[name]["command"]
        native = native_command(name)
        assert Path(native[0]).name in (command[0], Path(sys.executable).name)
        assert native[1:] == command[1:]
    web = native_command("web", port=8123)
    assert (
        web[1:]
        == [
            "127.0.0.1:8123" if arg == "0.0.0.0:8000" else arg for arg in services["web"]["command"]
        ][1:]
    )
    worker = native_command("worker", node="w1")
    assert worker[1:] == [*services["worker"]["command"][1:], "-n", "w1@%h"]
