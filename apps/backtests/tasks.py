"""Backtest tasks: ids in, rows out (apps/core/jobs.py semantics)."""

from celery import shared_task

from .services import backtest_execute, sweep_chunk_execute, sweep_execute


@shared_task(name="backtests.run", acks_late=True, reject_on_worker_lost=True)
def backtest_run(run_id: int) -> str:
    return backtest_execute(run_id)


@shared_task(name="backtests.sweep", acks_late=True, reject_on_worker_lost=True)
def sweep_run(sweep_id: int) -> str:
    return sweep_execute(sweep_id)


@shared_task(name="backtests.sweep_chunk", acks_late=True, reject_on_worker_lost=True)
def sweep_chunk(sweep_id: int, attempt: int, start: int, stop: int) -> int:
    return sweep_chunk_execute(sweep_id, attempt, start, stop)
