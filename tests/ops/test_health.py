"""/healthz: 200 when the database and the broker answer, 503 when either does not; no sign-in,
and nothing in the answer beyond its status."""

import json

import pytest

from dsar_portal import health

pytestmark = pytest.mark.django_db


def test_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]


def test_database_down_is_503_without_details(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("connection to server at 10.1.2.3 port 5432 failed: PostgreSQL 17.2")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == json.dumps({"status": "unavailable"}).encode()


def test_broker_down_is_503(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_real_redis_broker_is_ok(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    assert client.get("/healthz").status_code == 200


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_probe_exit_status(live_server):
    assert health.probe(f"{live_server.url}/healthz") == 0
    assert health.probe(f"{live_server.url}/no-such-page") == 1
    assert health.probe("http://127.0.0.1:1/healthz") == 1


def test_answers_over_plain_http_when_https_is_enforced(client, settings):
    # The container health check probes http://127.0.0.1:8000/healthz from inside.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
