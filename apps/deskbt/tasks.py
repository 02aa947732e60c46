"""Desk backtest tasks: ids in, rows out (apps/core/jobs.py semantics)."""

from celery import shared_task

from .services import desk_backtest_execute


@shared_task(name="deskbt.run", acks_late=True, reject_on_worker_lost=True)
def desk_backtest_run(pk: int) -> str:
    return desk_backtest_execute(pk)
