"""System status: what the health endpoint reports."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

import engine
import tradingsite


def health_status() -> dict:
    """Database reachability, broker reachability (or "eager"), worker count, versions."""
    checks: dict[str, dict] = {}
    ok = True

    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {
            "status": "ok",
            "vendor": connection.vendor,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except Exception as exc:  # noqa: BLE001 - health reports every failure
        ok = False
        checks["database"] = {"status": "error", "error": type(exc).__name__}

    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = {
            "status": "eager",
            "detail": "no CELERY_BROKER_URL: tasks run in-process",
        }
        checks["workers"] = {"status": "eager", "count": 0}
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

    return {
        "status": "ok" if ok else "error",
        "version": tradingsite.__version__,
        "engine_version": engine.__version__,
        "checks": checks,
    }
