"""Core tasks: a round trip through the broker and a worker, used by health checks and tests."""

import socket

from celery import shared_task
from django.db import connection

from apps.marketdata.models import Candle


@shared_task(name="core.worker_ping")
def worker_ping() -> dict:
    """Prove a worker can reach the database: its host, the DB vendor and the candle count."""
    return {
        "hostname": socket.gethostname(),
        "database": connection.vendor,
        "candles": Candle.objects.count(),
    }


@shared_task(name="core.jobs_reap")
def jobs_reap() -> dict:
    """Requeue or fail jobs whose worker stopped heartbeating (Celery beat, every 30 s)."""
    from apps.core.jobs import jobs_reap_all

    return jobs_reap_all()


@shared_task(name="core.beat_tick")
def beat_tick() -> str:
    """Stamp the time beat last had a task run (Celery beat, every 30 s); readiness reads it."""
    from django.utils import timezone

    from apps.core.models import ServiceTick
    from apps.core.selectors import BEAT_TICK

    now = timezone.now()
    ServiceTick.objects.update_or_create(name=BEAT_TICK, defaults={"at": now})
    return now.isoformat()
