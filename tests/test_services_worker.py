"""The full stack's moving parts for real: PostgreSQL, Redis and a Celery worker process."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_worker_executes_a_task_end_to_end(celery_worker, btc_candles):
    from apps.dashboard.tasks import worker_ping

    result = worker_ping.delay().get(timeout=60)
    assert result == {"hostname": result["hostname"], "database": "postgresql", "candles": 7477}


def test_readiness_reports_broker_worker_and_beat_tick(celery_worker, api_client):
    from django.core.cache import cache

    from apps.core.tasks import beat_tick

    beat_tick.delay().get(timeout=60)  # as beat would send it; the worker stamps the tick
    cache.clear()  # readiness is cached for a few seconds
    body = api_client.get("/api/health/ready/").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["workers"]["count"] >= 1
    assert body["checks"]["beat"]["status"] == "ok", body["checks"]["beat"]
