"""Backtest reads, scoped to the owner; a stale running job is reaped when looked at.
A run's trades are read from its columnar table (tradestore.py), decoded by slice."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from apps.core.formatting import METRICS
from apps.core.jobs import JobStatus, job_reap_stale
from apps.marketdata.selectors import candles_frame, candles_payload
from engine.backtest import drawdown_pct
from engine.backtest.sweep import default_grid, heatmap, rank_rows, sweepable
from engine.marketdata import empty_frame
from engine.strategy import parse_strategy, strategy_drawing

from .models import BacktestRun, BacktestTradeTable, Sweep, SweepResult
from .tradestore import StoredTrade, TradeTable, from_us, to_us, unpack

# The runs list's sort keys: a field of the run, or a metric (runs without it last).
ORDER_FIELDS = ("created_at", "finished_at", "id", "symbol", "strategy_name", "status")
ORDER_METRICS = ("total_return_pct", "sharpe", "max_drawdown_pct", "num_trades", "win_rate_pct")
ORDERINGS = tuple(f"{sign}{key}" for key in ORDER_FIELDS + ORDER_METRICS for sign in ("", "-"))
DEFAULT_ORDERING = "-created_at"


def _metric(name: str):
    """A metric as a number for filters and sorting; SQL NULL where the run has none (a
    missing key or JSON null, which SQLite's key transform would otherwise read as 0)."""
    none = Q(**{f"metrics__{name}__isnull": True}) | Q(**{f"metrics__{name}": None})
    return Case(
        When(none, then=Value(None)),
        default=Cast(KeyTextTransform(name, "metrics"), FloatField()),
        output_field=FloatField(),
    )


def backtest_list(
    *,
    owner,
    symbol: str | None = None,
    status: str | None = None,
    strategy=None,
    created_from: date | None = None,
    created_to: date | None = None,
    return_min: float | None = None,
    return_max: float | None = None,
    sharpe_min: float | None = None,
    sharpe_max: float | None = None,
    drawdown_max: float | None = None,
    ordering: str = DEFAULT_ORDERING,
) -> QuerySet[BacktestRun]:
    """The owner's runs, filtered (each filter optional; a metric bound leaves out runs
    without that metric) and sorted by one of ORDERINGS (then newest first)."""
    qs = BacktestRun.objects.filter(owner=owner)
    if symbol:
        qs = qs.filter(symbol__iexact=symbol)
    if status:
        qs = qs.filter(status=status)
    if strategy is not None:
        qs = qs.filter(strategy=strategy)
    if created_from is not None:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to is not None:
        qs = qs.filter(created_at__date__lte=created_to)
    bounds = [
        ("total_return_pct", "gte", return_min),
        ("total_return_pct", "lte", return_max),
        ("sharpe", "gte", sharpe_min),
        ("sharpe", "lte", sharpe_max),
        ("max_drawdown_pct", "lte", drawdown_max),
    ]
    key = ordering.lstrip("-")
    used = {name for name, _, value in bounds if value is not None}
    used |= {key} if key in ORDER_METRICS else set()
    qs = qs.alias(**{f"m_{name}": _metric(name) for name in used})
    qs = qs.filter(**{f"m_{n}__{op}": v for n, op, v in bounds if v is not None})
    expr = F(f"m_{key}") if key in ORDER_METRICS else F(key)
    if ordering.startswith("-"):
        order = expr.desc(nulls_last=True)
    else:
        order = expr.asc(nulls_last=True)
    return qs.order_by(order, "-created_at", "-id")


def backtest_get(*, owner, pk: int) -> BacktestRun | None:
    run = BacktestRun.objects.filter(owner=owner, pk=pk).first()
    if run is not None and run.status == JobStatus.RUNNING:
        job_reap_stale(BacktestRun, pk=pk)
        run.refresh_from_db()
    return run


def equity_points(run: BacktestRun) -> list[dict]:
    """The run's stored (downsampled) equity curve: time, equity, buy & hold."""
    return [
        {"time": from_us(t * 1000), "equity": e, "buy_and_hold": b}
        for t, e, b in run.equity_curve or []
    ]


def equity_pct(run: BacktestRun) -> list[dict]:
    """The equity curve in % from its first point (runs of any capital compare)."""
    points = run.equity_curve or []
    if not points or not points[0][1]:
        return []
    base = points[0][1]
    return [{"time": from_us(t * 1000), "pct": (e / base - 1.0) * 100.0} for t, e, _ in points]


MAX_COMPARE = 6
MIN_COMPARE = 2


@dataclass(frozen=True)
class Comparison:
    runs: list[BacktestRun]
    missing: list[int]  # not among the owner's runs (unknown or another user's)
    unfinished: list[BacktestRun]  # not succeeded: nothing to compare yet

    @property
    def errors(self) -> list[str]:
        """Why it cannot be drawn: each run that is not the user's (never saying whose it
        is) or has no result yet."""
        return [f"no such run: {pk}" for pk in self.missing] + [
            f"run {r.pk} has no result to compare ({r.status})" for r in self.unfinished
        ]


def backtest_compare(*, owner, ids: Sequence[int]) -> Comparison:
    """The owner's runs ``ids`` in the order given, with those that are not theirs and
    those without a result set apart."""
    found = {
        r.pk: r
        for r in BacktestRun.objects.filter(owner=owner, pk__in=ids).select_related(
            "strategy_version"
        )
    }
    runs = [found[i] for i in ids if i in found]
    return Comparison(
        runs=runs,
        missing=[i for i in ids if i not in found],
        unfinished=[r for r in runs if r.status != JobStatus.SUCCEEDED],
    )


def metric_names(metric_dicts: Iterable[dict | None]) -> list[str]:
    """Every metric in the dicts, in the metrics table's order (apps.core.formatting),
    others after it by name: PostgreSQL's jsonb keeps no key order of its own."""
    names = {k for m in metric_dicts for k in (m or {})}
    order = {k: i for i, k in enumerate(METRICS)}
    return sorted(names, key=lambda k: (order.get(k, len(order)), k))


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
    fields = ("combo", "params", "metrics", "error")
    # Plain values, no model instance per row (a 100-row table is read on every poll).
    rows = [dict(zip(fields, r, strict=True)) for r in sweep.results.values_list(*fields)]
    return rank_rows(rows, sweep.metric)


def sweep_heatmap(sweep: Sweep, rows: list[dict] | None = None) -> dict | None:
    """The sweep's metric over its grid's first two paths (None with fewer); ``rows`` is
    its table when the caller has already read it."""
    return heatmap(sweep.grid, sweep_table(sweep) if rows is None else rows, sweep.metric)


def sweep_row_get(*, owner, pk: int, combo: int) -> tuple[Sweep, SweepResult] | None:
    """The owner's sweep and its row of combination ``combo`` (None: no such sweep of
    theirs, or no such row)."""
    row = (
        SweepResult.objects.select_related("sweep", "sweep__strategy", "sweep__strategy_version")
        .filter(sweep__owner=owner, sweep_id=pk, combo=combo)
        .first()
    )
    return None if row is None else (row.sweep, row)


def sweep_offer(*, definition: dict) -> dict:
    """What the sweep form offers for a strategy: its parameters (named first, else the
    numbers in its JSON) with default ranges, and a default grid it accepts. Each range is
    checked against the strategy language (about 3 ms a strategy), so the answer is kept
    per definition: the form lists up to 100 strategies."""
    return json.loads(_offer(json.dumps(definition)))


@lru_cache(maxsize=512)
def _offer(definition_json: str) -> str:
    definition = json.loads(definition_json)
    return json.dumps({"params": sweepable(definition), "grid": default_grid(definition)})


def _rounded(values: np.ndarray, digits: int = 7) -> list[float | None]:
    """A drawn line as JSON: ``digits`` significant digits (of its largest value: far more
    than a chart resolves, and a third of the bytes of a float64's repr), None for NaN."""
    v = np.asarray(values, dtype="float64")
    finite = np.isfinite(v)
    if not finite.any():
        return [None] * len(v)
    top = float(np.abs(v[finite]).max())
    decimals = digits - 1 - (int(np.floor(np.log10(top))) if top > 0 else 0)
    out = np.round(v, max(decimals, 0)).astype(object)
    out[~finite] = None
    return out.tolist()


def backtest_chart_data(*, run: BacktestRun) -> dict[str, Any]:
    """Everything the result page's chart draws, as columns (one list per field, times in
    epoch seconds, as lightweight-charts takes them): the run's whole window of candles; each indicator of its strategy computed
    the way the backtest computed it (over the same candles from the start of history, so
    the warm-up is the backtest's); every trade; the equity curve with buy & hold and the
    drawdown; the price precision to format prices with (in ``candles``)."""
    trades = _columns(run.pk)
    equity = np.asarray(
        [p[:2] + [np.nan if p[2] is None else p[2]] for p in run.equity_curve or []],
        dtype="float64",
    ).reshape(-1, 3)
    out: dict[str, Any] = {
        "run": run.pk,
        "symbol": run.symbol,
        "interval": run.interval,
        "initial_balance": run.initial_balance,
        "indicators": [],
        "levels": [],
        "trades": {
            "side": trades["side"].tolist() if trades else [],
            "entry_time_epoch_s": (trades["entry_time"] // 1_000_000).tolist() if trades else [],
            "exit_time_epoch_s": (trades["exit_time"] // 1_000_000).tolist() if trades else [],
            **{
                k: trades[k].tolist() if trades else []
                for k in ("entry_price", "exit_price", "pnl", "return_pct")
            },
            "exit_reason": (
                [str(n) for n in trades["reason_names"][trades["reason"]]] if trades else []
            ),
        },
        "equity": {
            "time_epoch_s": (equity[:, 0].astype("int64") // 1000).tolist(),
            "equity": _rounded(equity[:, 1], 10),
            "buy_and_hold": _rounded(equity[:, 2], 10),
            "drawdown_pct": _rounded(drawdown_pct(equity[:, 1]), 6),
        },
    }
    frame = empty_frame()
    if run.first_candle is not None and run.last_candle is not None:
        frame = candles_frame(symbol=run.symbol, interval=run.interval, end=run.last_candle)
    lo = int(frame.index.searchsorted(run.first_candle, side="left")) if len(frame) else 0
    window = frame.iloc[lo:]
    out["candles"] = candles_payload(
        window, symbol=run.symbol, interval=run.interval, truncated=False
    )
    if len(window):
        drawing = strategy_drawing(
            parse_strategy(run.strategy_definition), frame, interval=run.interval
        )
        out["indicators"] = [
            {
                "group": line.group,
                "label": line.label,
                "line": line.line,
                "overlay": line.overlay,
                "values": _rounded(line.values[lo:]),
            }
            for line in drawing.lines
        ]
        out["levels"] = [{"group": lv.group, "value": lv.value} for lv in drawing.levels]
    return out
