import logging

from celery import shared_task

from .services import kline_sync_execute, schedule_run, schedules_due

logger = logging.getLogger(__name__)


@shared_task(name="binance.kline_sync", acks_late=True, reject_on_worker_lost=True)
def kline_sync(sync_id: int) -> str:
    return kline_sync_execute(sync_id)


@shared_task(name="binance.sync_schedules")
def sync_schedules() -> int:
    """Start the kline sync of every schedule that is due; beat calls this every minute."""
    started = 0
    for schedule in schedules_due():
        try:
            started += schedule_run(schedule) is not None
        except Exception:  # noqa: BLE001 - one market's failure must not stop the others
            logger.exception("scheduled sync %s failed to start", schedule.pk)
    return started
