"""With DEBUG off the portal refuses to start on a missing or default secret key."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
START = "import django; django.setup(); print('started')"


def start_portal(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", START],
        cwd=BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "dsar_portal.settings",
            "DJANGO_ENV_FILE": "/nonexistent/env",  # nothing from var/local.env
            "FIELD_ENCRYPTION_KEY": "x" * 44,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "secret",
    [None, "", "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz", "too-short"],
)
def test_refuses_to_start_without_a_real_secret_key(secret):
    env = {"DJANGO_DEBUG": "false"}
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    result = start_portal(**env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is missing, a default or too short" in result.stderr
    if secret:
        assert secret not in result.stderr  # the refusal never echoes the key


def test_starts_with_a_real_secret_key():
    result = start_portal(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k3Y" * 20)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
