"""A strategy's performance, a report of the backtests app: its stored backtests, its paper
trades, and the drift between them.

It only reads. The drift compares the paper trades with the trades a stored, succeeded
backtest of the current version made in the same window; when no such run exists the report
says so and hands back the POST that would create one (nothing is computed in a GET).
"""

from __future__ import annotations

from datetime import datetime
from statistics import mean
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from apps.core.jobs import JobStatus
from apps.portfolio.models import TradeLog
from apps.portfolio.money import fmt, money_sum
from apps.portfolio.selectors import strategy_health
from apps.strategies.models import Strategy

from .models import BacktestRun
from .selectors import backtest_trades_summary

SUMMARY_METRICS = (
    "total_return_pct",
    "buy_and_hold_return_pct",
    "max_drawdown_pct",
    "sharpe",
    "win_rate_pct",
    "num_trades",
)


def _summary(run: BacktestRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "url": reverse("api:backtests:detail", args=[run.pk]),
        "version": run.strategy_version.number if run.strategy_version else None,
        "symbol": run.symbol,
        "interval": run.interval,
        "window": [run.first_candle, run.last_candle],
        **{k: (run.metrics or {}).get(k) for k in SUMMARY_METRICS},
    }


def _run_hint(
    strategy: Strategy, detail: str, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """The request that would create the missing backtest (the report never runs one)."""
    body: dict[str, Any] = {"strategy": strategy.pk}
    if start is not None:
        body |= {"start": start, "end": end}
    return {
        "detail": detail,
        "method": "POST",
        "url": reverse("api:backtests:list"),
        "body": body,
    }


def _covering_run(
    runs: QuerySet[BacktestRun], strategy: Strategy, start: datetime, end: datetime
) -> BacktestRun | None:
    """The latest run on the strategy's market whose window holds [start, end]: asked for
    (start/end) or simulated (first/last candle), so a run made from the hint qualifies."""
    return (
        runs.filter(symbol=strategy.symbol, interval=strategy.timeframe)
        .filter(Q(start__lte=start) | Q(first_candle__lte=start))
        .filter(Q(end__gte=end) | Q(last_candle__gte=end))
        .first()
    )


def _drift(
    strategy: Strategy, runs: QuerySet[BacktestRun], paper: dict[str, Any]
) -> dict[str, Any]:
    start, end = paper["window"]
    run = _covering_run(runs, strategy, start, end)
    if run is None:
        return {
            "window": paper["window"],
            "detail": f"no stored backtest of version {strategy.version} covers the paper "
            "trades' window",
            "run_backtest": _run_hint(
                strategy, "backtest the paper trades' window with this version", start, end
            ),
        }
    inside = backtest_trades_summary(run=run, start=start, end=end)
    win_rate = round(inside["wins"] / inside["n"], 4) if inside["n"] else None
    return {
        "window": paper["window"],
        "run": run.pk,
        "backtest": {
            "num_trades": inside["n"],
            "win_rate": win_rate,
            "avg_trade_return_pct": None if inside["avg"] is None else round(inside["avg"], 4),
        },
        "paper": {
            "num_trades": paper["total_trades"],
            "win_rate": paper["win_rate"],
            "avg_trade_return_pct": paper["avg_roi"],
        },
        "trade_count_difference": paper["total_trades"] - inside["n"],
        "win_rate_difference": None if win_rate is None else round(paper["win_rate"] - win_rate, 4),
    }


def _paper(strategy: Strategy) -> dict[str, Any] | None:
    trades = list(
        TradeLog.objects.filter(
            portfolio__owner=strategy.owner, strategy_name=strategy.name
        ).order_by("entry_time")
    )
    if not trades:
        return None
    rois = [t.roi for t in trades]
    return {
        "total_trades": len(trades),
        "win_rate": round(sum(r > 0 for r in rois) / len(rois), 4),
        "avg_roi": round(mean(rois), 4),
        "total_pnl": fmt(money_sum(t.pnl for t in trades)),
        "window": [trades[0].entry_time, max(t.exit_time for t in trades)],
        "health": strategy_health(owner=strategy.owner, strategy_name=strategy.name),
    }


def strategy_performance(*, strategy: Strategy) -> dict[str, Any]:
    """Stored results only: the succeeded backtests (the latest of the current version
    apart), the paper trades and their drift from a stored backtest of the same window."""
    succeeded = (
        BacktestRun.objects.filter(strategy=strategy, status=JobStatus.SUCCEEDED)
        .select_related("strategy_version")
        .order_by("-finished_at", "-id")
    )
    of_version = succeeded.filter(strategy_version__number=strategy.version)
    latest = of_version.first()
    paper = _paper(strategy)
    return {
        "strategy_id": strategy.pk,
        "seed_id": strategy.seed_id,
        "name": strategy.name,
        "version": strategy.version,
        "backtests": {
            "count": succeeded.count(),
            "latest": _summary(latest) if latest else None,
            "runs": [_summary(r) for r in succeeded[:20]],
        },
        "run_backtest": None
        if latest
        else _run_hint(strategy, f"no succeeded backtest of version {strategy.version} yet"),
        "paper": paper,
        "drift": _drift(strategy, of_version, paper) if paper else None,
    }
