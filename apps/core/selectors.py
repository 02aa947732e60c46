"""System status: what the health endpoints report.

Two answers, because they cost different amounts:

- ``liveness()``: the process is up and serving; no database, no broker. Anonymous load
  balancers and probes can loop on it without taking a worker from anyone.
- ``readiness()``: the database, the broker, the workers and beat's last tick. A worker ping
  holds the answering process up to a second, so the result is cached for
  ``HEALTH_CACHE_SECONDS`` and computed by one thread per process at a time (the others get the
  last answer); the endpoint is throttled as well.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

import engine
import tradingsite

BEAT_TICK = "beat"
_CACHE_KEY = "health:readiness"
_compute_lock = threading.Lock()


def _versions() -> dict:
    return {"version": tradingsite.__version__, "engine_version": engine.__version__}


def liveness() -> dict:
    """The process answers: nothing else is touched."""
    return {"status": "ok", **_versions()}


def beat_last_tick() -> datetime | None:
    from apps.core.models import ServiceTick

    return ServiceTick.objects.filter(name=BEAT_TICK).values_list("at", flat=True).first()


def _check_database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _check_beat(now: datetime) -> dict:
    last = beat_last_tick()
    if last is None:
        return {"status": "none", "last_tick": None, "age_seconds": None}
    age = (now - last).total_seconds()
    return {
        "status": "ok" if age <= settings.HEALTH_BEAT_STALE_SECONDS else "stale",
        "last_tick": last.isoformat().replace("+00:00", "Z"),
        "age_seconds": round(age, 1),
    }


def _readiness_now() -> dict:
    """Every check, measured now (the slow path: up to ~3 s with an unreachable broker)."""
    checks: dict[str, dict] = {}
    ok = True
    try:
        checks["database"] = _check_database()
    except Exception as exc:  # noqa: BLE001 - health reports every failure
        ok = False
        checks["database"] = {"status": "error", "error": type(exc).__name__}

    if settings.CELERY_TASK_ALWAYS_EAGER:
        detail = "no CELERY_BROKER_URL: jobs run in-process, which reaps its own stale jobs"
        checks["broker"] = {"status": "eager", "detail": detail}
        checks["workers"] = {"status": "eager", "count": 0}
        checks["beat"] = {"status": "eager", "detail": "not used by the embedded default"}
    else:
        from tradingsite.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = {"status": "ok"}
        except Exception as exc:  # noqa: BLE001
            ok = False
            checks["broker"] = {"status": "error", "error": type(exc).__name__}
        if checks["broker"]["status"] == "ok":
            try:
                replies = app.control.ping(timeout=1.0) or []
                checks["workers"] = {"status": "ok" if replies else "none", "count": len(replies)}
            except Exception as exc:  # noqa: BLE001
                checks["workers"] = {"status": "error", "error": type(exc).__name__}
        else:
            checks["workers"] = {"status": "unknown", "count": 0}
        if checks["database"]["status"] == "ok":
            checks["beat"] = _check_beat(timezone.now())
        else:
            checks["beat"] = {"status": "unknown"}
    checked_at = timezone.now()
    return {
        "status": "ok" if ok else "error",
        **_versions(),
        "checked_at": checked_at.isoformat().replace("+00:00", "Z"),
        "checks": checks,
    }


def readiness() -> dict:
    """The checks, at most ``HEALTH_CACHE_SECONDS`` old. One thread of this process measures
    at a time; the others wait for its answer instead of piling onto the broker."""
    cached = cache.get(_CACHE_KEY)
    if cached is not None:
        return cached
    with _compute_lock:
        cached = cache.get(_CACHE_KEY)
        if cached is not None:
            return cached
        data = _readiness_now()
        cache.set(_CACHE_KEY, data, settings.HEALTH_CACHE_SECONDS)
        return data
