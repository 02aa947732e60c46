"""Finding 3: the open health endpoint pinged the workers with a 1 s timeout on every call, so
four anonymous clients looping on it stalled the site. Liveness now touches nothing; readiness
is measured at most every HEALTH_CACHE_SECONDS and both are throttled per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.core import selectors
from apps.core.models import ServiceTick
from apps.core.tasks import beat_tick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_liveness_touches_neither_database_nor_broker(
    api_client, django_assert_num_queries, monkeypatch
):
    def no_broker(*args, **kwargs):
        raise AssertionError("liveness must not reach the broker")

    monkeypatch.setattr(selectors, "_readiness_now", no_broker)
    with django_assert_num_queries(0):
        r = api_client.get("/api/health/")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and "checks" not in r.json()


def test_readiness_is_measured_once_per_cache_window(api_client, settings, monkeypatch):
    settings.HEALTH_CACHE_SECONDS = 60
    calls = []
    real = selectors._readiness_now
    monkeypatch.setattr(selectors, "_readiness_now", lambda: calls.append(1) or real())
    answers = [api_client.get("/api/health/ready/").json() for _ in range(5)]
    assert len(calls) == 1
    assert len({a["checked_at"] for a in answers}) == 1
    cache.clear()  # the window ends
    api_client.get("/api/health/ready/")
    assert len(calls) == 2


@pytest.mark.parametrize(
    "path, scope", [("/api/health/", "health"), ("/api/health/ready/", "health_ready")]
)
def test_health_endpoints_are_throttled_per_address(api_client, monkeypatch, path, scope):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF binds the rates when the throttle classes are defined; set them where it reads them.
    rates = {**SimpleRateThrottle.THROTTLE_RATES, scope: "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    codes = [api_client.get(path).status_code for _ in range(5)]
    other = api_client.get(path, REMOTE_ADDR="10.9.8.7").status_code
    limited = api_client.get(path)
    assert codes == [200, 200, 200, 429, 429]
    assert other == 200  # another address has its own allowance
    assert 0 < int(limited["Retry-After"]) <= 60


def test_readiness_reports_beat_from_its_last_tick(settings):
    now = timezone.now()
    assert selectors._check_beat(now)["status"] == "none"
    beat_tick()  # what a worker runs when beat sends core.beat_tick
    fresh = selectors._check_beat(timezone.now())
    assert fresh["status"] == "ok" and fresh["age_seconds"] < settings.HEALTH_BEAT_STALE_SECONDS
    ServiceTick.objects.filter(name=selectors.BEAT_TICK).update(
        at=now - timedelta(seconds=settings.HEALTH_BEAT_STALE_SECONDS + 5)
    )
    stale = selectors._check_beat(timezone.now())
    assert stale["status"] == "stale" and stale["age_seconds"] > settings.HEALTH_BEAT_STALE_SECONDS


def test_readiness_with_an_unreachable_broker_is_503_and_names_it(api_client, dead_broker):
    r = api_client.get("/api/health/ready/")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "error" and body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert "s3cret" not in r.content.decode()
