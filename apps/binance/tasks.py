from celery import shared_task

from apps.core.schedules import schedules_enqueue_due

from .models import SyncSchedule
from .services import kline_sync_execute, schedule_run


@shared_task(name="binance.kline_sync", acks_late=True, reject_on_worker_lost=True)
def kline_sync(sync_id: int) -> str:
    return kline_sync_execute(sync_id)


@shared_task(name="binance.schedule_run")
def binance_schedule_run(schedule_id: int) -> int | None:
    """Start one market's scheduled sync (the sync itself is a job of its own)."""
    job = schedule_run(schedule_id=schedule_id)
    return job.pk if job else None


@shared_task(name="binance.sync_schedules")
def sync_schedules() -> int:
    """Enqueue the start of every due market's sync; beat calls this every minute."""
    return schedules_enqueue_due(SyncSchedule, binance_schedule_run)
