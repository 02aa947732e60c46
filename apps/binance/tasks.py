from celery import shared_task

from .services import kline_sync_execute


@shared_task(name="binance.kline_sync", acks_late=True, reject_on_worker_lost=True)
def kline_sync(sync_id: int) -> str:
    return kline_sync_execute(sync_id)
