"""Backtest reads, scoped to the owner; a stale running job is reaped when looked at.
A run's trades are read from its columnar table (tradestore.py), decoded by slice."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db.models import QuerySet

from apps.core.jobs import JobStatus, job_reap_stale
from engine.backtest.sweep import heatmap, rank_rows

from .models import BacktestRun, BacktestTradeTable, Sweep
from .tradestore import StoredTrade, TradeTable, to_us, unpack


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


def _columns(run_id: int) -> dict[str, np.ndarray]:
    blob = BacktestTradeTable.objects.filter(run_id=run_id).values_list("data", flat=True).first()
    return unpack(blob)


def backtest_trades(*, run: BacktestRun) -> TradeTable:
    """The run's trades in seq order (empty until it has succeeded)."""
    return TradeTable(run, _columns(run.pk))


def backtest_trades_summary(
    *, run: BacktestRun, start: datetime, end: datetime
) -> dict[str, int | float | None]:
    """Of the run's trades entered in [start, end]: how many, how many won, their mean
    return %."""
    c = _columns(run.pk)
    if not c:
        return {"n": 0, "wins": 0, "avg": None}
    inside = (c["entry_time"] >= to_us(start)) & (c["entry_time"] <= to_us(end))
    n = int(inside.sum())
    return {
        "n": n,
        "wins": int((c["pnl"][inside] > 0).sum()),
        "avg": float(c["return_pct"][inside].mean()) if n else None,
    }


def recent_trades(*, owner, limit: int = 10) -> list[StoredTrade]:
    """The original /backtest/results: the user's most recent trades across runs, newest
    first (by exit time, then the later run, then the later trade). Runs are opened newest
    last exit first, and only until no older run can hold one of the ``limit`` newest."""
    tables = (
        BacktestTradeTable.objects.filter(run__owner=owner, count__gt=0)
        .select_related("run")
        .defer("data")
        .order_by("-last_exit", "-run_id")
    )
    found: list[tuple[int, int, int, StoredTrade]] = []
    for table in tables.iterator(chunk_size=20):
        if len(found) >= limit and to_us(table.last_exit) < found[limit - 1][0]:
            break
        trades = backtest_trades(run=table.run)
        found += [(to_us(t.exit_time), t.run_id, t.seq, t) for t in trades[-limit:]]
        found.sort(key=lambda x: x[:3], reverse=True)
        del found[limit:]
    return [t for *_, t in found]


class RecentTrades:
    """All of the user's backtest trades, newest first, as a sequence a paginator can page:
    its length is the stored count, a slice reads only the newest ``stop`` trades."""

    def __init__(self, *, owner):
        self.owner = owner

    def __len__(self) -> int:
        counts = BacktestTradeTable.objects.filter(run__owner=self.owner).values_list(
            "count", flat=True
        )
        return sum(counts)

    def __getitem__(self, index: slice) -> list[StoredTrade]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("RecentTrades takes a slice")
        start, stop = index.start or 0, index.stop
        if stop is None:
            stop = len(self)
        return recent_trades(owner=self.owner, limit=stop)[start:stop] if stop > start else []


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
