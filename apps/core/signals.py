"""A Celery worker reaps jobs a dead worker left: once when it is ready, then every
JOB_REAP_SECONDS in a thread of its main process, so recovery never depends on beat.
(The engine warm-up at worker start is connected in tradingsite/celery.py: worker_init is
sent before Django's apps, and so this module, are loaded.)"""

import logging
import threading

from celery.signals import worker_ready, worker_shutdown

logger = logging.getLogger(__name__)
_stop = threading.Event()


@worker_ready.connect
def reap_on_worker_start(sender=None, **kwargs) -> None:
    from django.conf import settings

    from apps.core.jobs import jobs_reap_all, reaper_thread

    try:
        result = jobs_reap_all()
        logger.info("stale jobs at worker start: %s", result)
    except Exception:  # noqa: BLE001 - never stop a worker from starting
        logger.exception("reaping stale jobs at worker start failed")
    every = getattr(settings, "JOB_REAP_SECONDS", 30)
    # Its first pass was the one above.
    reaper_thread(_stop, every, first_queued_after=None, who="worker", wait_first=True).start()


@worker_shutdown.connect
def stop_reaper(sender=None, **kwargs) -> None:
    _stop.set()
