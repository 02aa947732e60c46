"""The replay clock in the embedded default (no broker, no beat): a daemon thread of the
web process that runs `replay_tick` every REPLAY_TICK_SECONDS. Started by the WSGI/ASGI
entry points beside `jobs_embedded_start`, under the same condition (so tests, management
commands and Celery workers never start it); in the full stack Celery beat ticks instead."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

_thread: threading.Thread | None = None
_lock = threading.Lock()
stop = threading.Event()


def replay_ticker_start() -> bool:
    """Start the ticker once per process in the embedded default; False otherwise."""
    global _thread
    from tradingsite.celery import app

    if not app.conf.task_always_eager or getattr(settings, "JOBS_EAGER_MODE", "inline") != "thread":
        return False
    with _lock:
        if _thread is not None:
            return False
        _thread = threading.Thread(target=_loop, daemon=True, name="replay-ticker")
    _thread.start()
    return True


def _loop() -> None:
    from django.db import connection

    from .services import replay_tick

    every = float(getattr(settings, "REPLAY_TICK_SECONDS", 1.0))
    while not stop.wait(every):
        try:
            replay_tick()
        except Exception:  # noqa: BLE001 - the clock must outlive one bad step
            logger.exception("replay tick failed")
        finally:
            connection.close()
