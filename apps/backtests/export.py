"""Downloads of a run (its trades, equity curve and metrics) and of a sweep's table, as CSV
or JSON (apps/core/export.py streams them).

Each is written by the serializer the API answers with, so a file read back equals the
API: the trades are BacktestTradeOutputSerializer's items (all of them, read from the
columnar store a slice at a time), the equity points EquityPointSerializer's, the metrics
the ``metrics`` of BacktestRunOutputSerializer and a sweep's rows its ``results``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.text import slugify

from apps.core.export import CSV, download, serialized, sliced

from .api.serializers import (
    BacktestRunOutputSerializer,
    BacktestTradeOutputSerializer,
    EquityPointSerializer,
)
from .models import BacktestRun, Sweep
from .selectors import backtest_trades, equity_points, metric_names, sweep_table

RUN_PARTS = ("trades", "equity", "metrics")


def _stem(kind: str, obj, part: str) -> str:
    return slugify(f"{kind}-{obj.pk}-{obj.symbol}-{obj.interval}-{part}")


def trade_rows(run: BacktestRun) -> Iterator[dict]:
    """Every trade of the run as the API's trade list gives it, in seq order."""
    return serialized(BacktestTradeOutputSerializer, sliced(backtest_trades(run=run)))


def run_download(run: BacktestRun, part: str, fmt: str) -> StreamingHttpResponse:
    stem = _stem("backtest", run, part)
    if part == "trades":
        header = list(BacktestTradeOutputSerializer().fields)
        return download(fmt=fmt, filename=stem, header=header, rows=trade_rows(run))
    if part == "equity":
        rows = serialized(EquityPointSerializer, [equity_points(run)])
        return download(
            fmt=fmt, filename=stem, header=list(EquityPointSerializer().fields), rows=rows
        )
    # As the run's API answer writes them (its metrics field), whatever types it gives.
    metrics = BacktestRunOutputSerializer(run).data["metrics"] or {}
    if fmt == CSV:
        rows = ({"metric": k, "value": v} for k, v in metrics.items())
        return download(fmt=fmt, filename=stem, header=("metric", "value"), rows=rows)
    return download(fmt=fmt, filename=stem, document=metrics)


def sweep_header(sweep: Sweep, rows: list[dict]) -> list[str]:
    """combo, each grid path (as the API's ``grid`` lists them), each metric, error."""
    return ["combo", *sweep.grid, *metric_names(r["metrics"] for r in rows), "error"]


def sweep_download(sweep: Sweep, fmt: str) -> StreamingHttpResponse:
    rows = sweep_table(sweep)
    stem = _stem("sweep", sweep, "table")
    if fmt == CSV:
        flat = (
            {"combo": r["combo"], **r["params"], **(r["metrics"] or {}), "error": r["error"]}
            for r in rows
        )
        return download(fmt=fmt, filename=stem, header=sweep_header(sweep, rows), rows=flat)
    return download(fmt=fmt, filename=stem, rows=rows)
