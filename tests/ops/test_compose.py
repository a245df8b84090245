"""docker-compose.yml holds together: valid against the Compose specification, every reference in
it (hosts, volumes, dependencies, ports, variables) points at something it defines, its Redis
really keeps queued tasks, and its commands are the ones the native topology test runs (and
that test, tests/ops/test_topology.py, runs them end to end)."""

import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings

from dsar_portal.celery import app, watchdog_queue
from tests.ops.topology import APP_SERVICES, BASE_DIR, COMPOSE_FILE, compose, native_command
from tests.private_redis import free_port

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


# What .env would give the variables compose interpolates (${NAME:?message}, ${NAME:-default}).
SAMPLE_ENV = {"POSTGRES_PASSWORD": "s3cret-Pa55"}


def interpolated(value):
    """`value` (from the file) with compose's variables replaced as `docker compose` would."""
    if isinstance(value, dict):
        return {key: interpolated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolated(item) for item in value]
    if not isinstance(value, str):
        return value
    return re.sub(
        r"\$\{([A-Z_]+)(?::([?-])([^}]*))?\}",
        lambda m: SAMPLE_ENV.get(m.group(1)) or (m.group(3) if m.group(2) == "-" else ""),
        value,
    )


@pytest.fixture(scope="module")
def services() -> dict:
    return interpolated(compose()["services"])


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


def test_the_database_and_redis_urls_name_services_of_this_file(services):
    images = {name: service.get("image", "") for name, service in services.items()}
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        for variable, scheme, image in (
            ("DATABASE_URL", "postgres", "postgres:"),
            ("REDIS_URL", "redis", "redis:"),
        ):
            url = urlsplit(environment[variable])
            assert url.scheme == scheme, (name, variable)
            assert images.get(url.hostname, "").startswith(image), (name, variable, url.hostname)


def test_the_database_credentials_are_the_postgres_service_s(services):
    postgres = services["postgres"]["environment"]
    url = urlsplit(services["web"]["environment"]["DATABASE_URL"])
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_every_named_volume_is_declared_and_every_declared_one_used(services):
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert used == set(compose()["volumes"])


def test_every_dependency_can_be_met(services):
    for name, service in services.items():
        for needed, condition in service.get("depends_on", {}).items():
            other = services[needed]
            if condition["condition"] == "service_healthy":
                assert other.get("healthcheck", {}).get("test"), (name, needed)
            elif condition["condition"] == "service_completed_successfully":
                assert other.get("restart") == "no", (name, needed)  # it runs once, then exits
            else:
                pytest.fail(f"{name} waits for {needed} to be {condition}")


def test_the_web_health_check_probes_the_port_web_binds(services):
    web = services["web"]
    command = web["command"]
    bound = int(command[command.index("--bind") + 1].rpartition(":")[2])
    (probe,) = [arg for arg in web["healthcheck"]["test"] if arg.startswith("http")]
    assert urlsplit(probe).port == bound
    assert [mapping.rpartition(":")[2] for mapping in web["ports"]] == [str(bound)]


def test_web_and_workers_share_the_private_storage(services):
    for name in ("web", "worker"):
        root = services[name]["environment"]["PRIVATE_STORAGE_ROOT"]
        mounts = dict(volume.split(":")[::-1] for volume in services[name]["volumes"])
        assert mounts.get(root) == "private", name


def test_every_variable_it_reads_is_in_env_example():
    text = COMPOSE_FILE.read_text()
    wanted = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert wanted <= listed, wanted - listed


def test_every_setting_read_from_the_environment_is_in_env_example():
    settings_source = (BASE_DIR / "dsar_portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_0-9]+)"', settings_source))
    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_0-9]+)=", example, re.MULTILINE))
    assert read - {"DJANGO_ENV_FILE"} <= listed, read - listed


def test_workers_scale_out_and_consume_every_queue(services):
    worker = services["worker"]
    # `docker compose up --scale worker=N` refuses a fixed name or host port.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "-n" not in worker["command"] and "--hostname" not in worker["command"]
    # Without -Q a worker consumes the app's queues: the work's and the watchdog's.
    assert "-Q" not in worker["command"] and "--queues" not in worker["command"]
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert {queue.name for queue in app.conf.task_queues} == {default, watchdog_queue(default)}


def test_its_redis_keeps_queued_tasks_through_a_restart(services, tmp_path):
    """Its redis-server arguments, run here: nothing evicted, and the queue still there after a
    restart (the append-only file, in the volume mounted at /data)."""
    command = services["redis"]["command"]
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    port = free_port()
    arguments = [*command, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def start() -> subprocess.Popen:
        server = subprocess.Popen(arguments, stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    server = start()
    try:
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        client.lpush("celery", "a queued task")
        server.terminate()
        server.wait(timeout=10)
        server = start()
        assert client.lrange("celery", 0, -1) == [b"a queued task"]
    finally:
        server.terminate()
        server.wait(timeout=10)


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
