"""docker-compose.yml read as data, and its commands turned into the native processes that
tests/ops/test_topology.py runs: the same programs with the same arguments, except what only a
shared machine needs (a local port for the web server, a node name per worker)."""

import sys
from pathlib import Path

from ruamel.yaml import YAML

BASE_DIR = Path(__file__).resolve().parents[2]
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
# The services that run the portal's own code, and the order they start in.
APP_SERVICES = ("migrate", "web", "worker", "beat")


def compose() -> dict:
    """docker-compose.yml with anchors and merge keys resolved."""
    return YAML(typ="safe").load(COMPOSE_FILE.read_text())


def compose_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    assert isinstance(command, list), f"{service}: command in exec (list) form"
    return [str(arg) for arg in command]


def _executable(program: str) -> str:
    """The program from this virtualenv (the image installs the same lock file)."""
    if program == "python":
        return sys.executable
    return str(Path(sys.executable).parent / program)


def native_command(service: str, *, port: int | None = None, node: str | None = None) -> list[str]:
    """The compose command of `service` as a local process: `port` replaces the web server's
    bind address (a container binds 0.0.0.0:8000), `node` names a worker (containers differ by
    host name; two workers on one machine need distinct names)."""
    command = compose_command(service)
    command[0] = _executable(command[0])
    if port is not None:
        bind = command.index("--bind")
        command[bind + 1] = f"127.0.0.1:{port}"
    if node is not None:
        command += ["-n", f"{node}@%h"]
    return command
