"""A worker that starts looks for jobs a dead worker left running."""

import logging

from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@worker_ready.connect
def reap_on_worker_start(sender=None, **kwargs) -> None:
    from apps.core.jobs import jobs_reap_all

    try:
        result = jobs_reap_all()
        logger.info("stale jobs at worker start: %s", result)
    except Exception:  # noqa: BLE001 - never stop a worker from starting
        logger.exception("reaping stale jobs at worker start failed")
