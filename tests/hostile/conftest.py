"""Fixtures of the hostile suite."""

from __future__ import annotations

import pytest

DEAD_BROKER_SECRET = "s3cretBrokerPass"


@pytest.fixture
def dead_broker(settings, monkeypatch):
    """Jobs sent to a broker at a closed port (with a password that must never be shown).

    Celery reads CELERY_BROKER_URL from the environment before its own configuration (the
    services suite sets it), and keeps a connection pool per app: both are replaced, and
    restored afterwards."""
    from tradingsite.celery import app

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    dead = f"redis://:{DEAD_BROKER_SECRET}@127.0.0.1:1/0"
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    app.conf.broker_url = dead
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    reset_pools()
    yield dead
    app.conf.broker_url, app.conf.task_always_eager = saved
    reset_pools()
