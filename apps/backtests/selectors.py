"""Backtest reads, scoped to the owner; a stale running job is reaped when looked at."""

from django.db.models import QuerySet

from apps.core.jobs import JobStatus, job_reap_stale
from engine.backtest.sweep import heatmap, rank_rows

from .models import BacktestRun, BacktestTrade, Sweep


def backtest_list(
    *, owner, symbol: str | None = None, status: str | None = None
) -> QuerySet[BacktestRun]:
    qs = BacktestRun.objects.filter(owner=owner)
    if symbol:
        qs = qs.filter(symbol__iexact=symbol)
    if status:
        qs = qs.filter(status=status)
    return qs


def backtest_get(*, owner, pk: int) -> BacktestRun | None:
    run = BacktestRun.objects.filter(owner=owner, pk=pk).first()
    if run is not None and run.status == JobStatus.RUNNING:
        job_reap_stale(BacktestRun, pk=pk)
        run.refresh_from_db()
    return run


def backtest_trades(*, run: BacktestRun) -> QuerySet[BacktestTrade]:
    return run.trades.order_by("seq")


def recent_trades(*, owner, limit: int = 10) -> QuerySet[BacktestTrade]:
    """The original /backtest/results: the user's most recent trades across runs, newest first."""
    return (
        BacktestTrade.objects.filter(run__owner=owner)
        .select_related("run")
        .order_by("-exit_time", "-id")[:limit]
    )


def sweep_list(*, owner) -> QuerySet[Sweep]:
    return Sweep.objects.filter(owner=owner)


def sweep_get(*, owner, pk: int) -> Sweep | None:
    sweep = Sweep.objects.filter(owner=owner, pk=pk).first()
    if sweep is not None and sweep.status == JobStatus.RUNNING:
        job_reap_stale(Sweep, pk=pk)
        sweep.refresh_from_db()
    return sweep


def sweep_table(sweep: Sweep) -> list[dict]:
    """A sweep's rows, best first by its metric."""
    rows = [
        {"combo": r.combo, "params": r.params, "metrics": r.metrics, "error": r.error}
        for r in sweep.results.all()
    ]
    return rank_rows(rows, sweep.metric)


def sweep_heatmap(sweep: Sweep, rows: list[dict] | None = None) -> dict | None:
    """The sweep's metric over its grid's first two paths (None with fewer); ``rows`` is
    its table when the caller has already read it."""
    return heatmap(sweep.grid, sweep_table(sweep) if rows is None else rows, sweep.metric)
