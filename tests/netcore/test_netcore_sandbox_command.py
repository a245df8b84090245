"""`manage.py netcore_sandbox` serves the API on the given port with the given key."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from tests.netcore.test_error_kinds_and_retries import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_command_serves_until_stopped(api_key):
    port = free_port()
    command = [
        sys.executable, "manage.py", "netcore_sandbox", "--port", str(port), "--api-key", api_key,
        "--seed", "3", "--events-per-day", "2",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/apiv2"
        params = {
            "type": "export_data",
            "activity": "get_user_channel_activity_data",
            "apikey": api_key,
        }
        data = {
            "data": json.dumps(
                {
                    "primary_key": "a",
                    "channel": "sms",
                    "from_date": "01012025",
                    "to_date": "02012025",
                }
            )
        }
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.post(url, params=params, data=data, timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert len(response.json()["result"]["channel_activity"]) == 4
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_command_refuses_impossible_fault_rates(api_key):
    with pytest.raises(CommandError, match="fault rates"):
        call_command(
            "netcore_sandbox", "--api-key", api_key, "--error-rate", "0.7", "--throttle-rate", "0.7"
        )


def test_the_command_needs_a_key(settings):
    settings.NETCORE_SANDBOX_API_KEY = ""

    with pytest.raises(CommandError, match="No API key"):
        call_command("netcore_sandbox")
