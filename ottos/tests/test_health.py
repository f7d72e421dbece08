"""/healthz, /readyz and /metrics as a load balancer, an orchestrator and Prometheus use them."""

import socket

import pytest
from django.conf import settings
from django.db import connections
from prometheus_client import REGISTRY

from ottos.lib import metrics

pytestmark = pytest.mark.django_db


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """Cache and channel layer pointed at a port where nothing listens."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }
    return url


@pytest.fixture
def database_down(monkeypatch):
    """New database connections go to a port where nothing listens (the test's own stays open)."""
    broken = {**connections.settings["default"], "PORT": closed_port(), "HOST": "127.0.0.1"}
    monkeypatch.setitem(connections.settings, "default", broken)


def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_stays_ok_while_redis_and_the_database_are_down(client, redis_down, database_down):
    assert client.get("/healthz").status_code == 200


def test_readyz_is_ready_when_database_redis_and_channel_layer_answer(client):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "tests run on real Redis"
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "channel_layer"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["detail"].startswith("PostgreSQL")
    assert body["checks"]["redis"]["detail"].startswith("Redis")
    assert body["checks"]["channel_layer"]["detail"] == "RedisChannelLayer"


def test_readyz_reports_a_vendor_left_alone_after_a_failure_and_stays_ready(client, monkeypatch):
    from calls.agent import engines

    monkeypatch.setattr(engines, "_brain_outages", {})
    assert "vendors_resting_s" not in client.get("/readyz").json()
    engines.brain_outage("https://api.openai.com/v1", "sk-test").failed()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert 0 < response.json()["vendors_resting_s"]["openai"] <= engines.BRAIN_REST_S


def test_readyz_is_503_naming_redis_when_redis_is_unreachable(client, redis_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis", "channel_layer"]
    assert body["checks"]["database"]["ok"] is True
    assert "refused" in body["checks"]["redis"]["detail"].lower()


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(client, database_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "refused" in response.json()["checks"]["database"]["detail"].lower()


def test_readyz_in_the_embedded_default_needs_no_redis(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert "REDIS_URL is not set" in checks["redis"]["detail"]
    assert checks["channel_layer"]["detail"] == "InMemoryChannelLayer"


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_show_what_calls_reported(client):
    before = {
        "turns": sample("ottos_call_turns_total", role="user"),
        "v2v": sample("ottos_voice_to_voice_seconds_count"),
        "fast": sample("ottos_voice_to_voice_seconds_bucket", le="1.0"),
        "tool": sample("ottos_tool_errors_total", tool="book_appointment"),
        "vendor": sample("ottos_vendor_errors_total", vendor="deepgram"),
        "reconnects": sample("ottos_vendor_reconnects_total", vendor="deepgram"),
        "active": sample("ottos_active_calls"),
    }
    metrics.call_started()
    metrics.turn_recorded("user")
    metrics.voice_to_voice(0.82)
    metrics.voice_to_voice(2.4)
    metrics.tool_failed("book_appointment")
    metrics.call_event("vendor_error", {"vendor": "deepgram", "stage": "tts"})
    metrics.call_event("reconnect", {"vendor": "deepgram", "attempts": 1})
    try:
        response = client.get("/metrics")
    finally:
        metrics.call_ended()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        "ottos_active_calls",
        "ottos_call_turns_total",
        "ottos_voice_to_voice_seconds_bucket",
        "ottos_tool_errors_total",
        "ottos_vendor_errors_total",
        "ottos_vendor_reconnects_total",
    ):
        assert f"\n{name}" in text
    assert sample("ottos_call_turns_total", role="user") == before["turns"] + 1
    assert sample("ottos_voice_to_voice_seconds_count") == before["v2v"] + 2
    assert sample("ottos_voice_to_voice_seconds_bucket", le="1.0") == before["fast"] + 1
    assert sample("ottos_tool_errors_total", tool="book_appointment") == before["tool"] + 1
    assert sample("ottos_vendor_errors_total", vendor="deepgram") == before["vendor"] + 1
    assert sample("ottos_vendor_reconnects_total", vendor="deepgram") == before["reconnects"] + 1
    assert sample("ottos_active_calls") == before["active"]
    assert f"ottos_active_calls {before['active'] + 1}" in text


def test_odd_label_values_are_folded_into_other():
    before = sample("ottos_vendor_errors_total", vendor="other")
    metrics.vendor_error("Some Vendor; DROP TABLE")
    metrics.turn_recorded("narrator")
    assert sample("ottos_vendor_errors_total", vendor="other") == before + 1
    assert sample("ottos_call_turns_total", role="other") >= 1


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic scrape-token-0123456789"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert response.status_code == 200
    assert b"ottos_active_calls" in response.content


def test_probes_only_answer_get(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
