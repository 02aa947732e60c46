"""A round trip through the broker and a worker that reaches every floor's data (tests)."""

import socket

from celery import shared_task
from django.db import connection

from apps.marketdata.models import Candle


@shared_task(name="dashboard.worker_ping")
def worker_ping() -> dict:
    """Prove a worker can reach the database: its host, the DB vendor and the candle count."""
    return {
        "hostname": socket.gethostname(),
        "database": connection.vendor,
        "candles": Candle.objects.count(),
    }
