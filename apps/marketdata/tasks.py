"""Market-data tasks: ids in, rows out (apps/core/jobs.py semantics)."""

from celery import shared_task

from .services import candle_import_execute


@shared_task(name="marketdata.import", acks_late=True, reject_on_worker_lost=True)
def candle_import_run(import_id: int) -> str:
    return candle_import_execute(import_id)
