"""A strategy's performance, a report of the backtests app: its finished backtests, its paper trades, and the drift
between them (the paper window backtested with the same version, side by side)."""

from __future__ import annotations

from statistics import mean
from typing import Any

from apps.core.jobs import JobStatus
from apps.marketdata.selectors import candles_frame
from apps.portfolio.models import TradeLog
from apps.portfolio.money import fmt, money_sum
from apps.portfolio.selectors import strategy_health
from apps.strategies.models import Strategy
from engine.backtest import BacktestConfig, run_backtest
from engine.strategy import parse_strategy

from .models import BacktestRun


def strategy_performance(*, strategy: Strategy) -> dict[str, Any]:
    runs = BacktestRun.objects.filter(strategy=strategy, status=JobStatus.SUCCEEDED).order_by(
        "-finished_at"
    )
    rows = [
        {
            "run": r.pk,
            "version": r.strategy_version.number if r.strategy_version else None,
            "symbol": r.symbol,
            "interval": r.interval,
            "window": [r.first_candle, r.last_candle],
            **{
                k: (r.metrics or {}).get(k)
                for k in (
                    "total_return_pct",
                    "buy_and_hold_return_pct",
                    "max_drawdown_pct",
                    "sharpe",
                    "win_rate_pct",
                    "num_trades",
                )
            },
        }
        for r in runs[:20]
    ]
    trades = list(
        TradeLog.objects.filter(
            portfolio__owner=strategy.owner, strategy_name=strategy.name
        ).order_by("entry_time")
    )
    paper = None
    drift = None
    if trades:
        rois = [t.roi for t in trades]
        paper = {
            "total_trades": len(trades),
            "win_rate": round(sum(r > 0 for r in rois) / len(rois), 4),
            "avg_roi": round(mean(rois), 4),
            "total_pnl": fmt(money_sum(t.pnl for t in trades)),
            "window": [trades[0].entry_time, trades[-1].exit_time],
            "health": strategy_health(owner=strategy.owner, strategy_name=strategy.name),
        }
        candles = candles_frame(
            symbol=strategy.symbol, interval=strategy.timeframe, end=trades[-1].exit_time
        )
        if len(candles) and candles.index[-1] >= trades[0].entry_time:
            result = run_backtest(
                candles,
                parse_strategy(strategy.normalized),
                BacktestConfig(start=trades[0].entry_time, end=trades[-1].exit_time),
                interval=strategy.timeframe,
            )
            m = result.metrics
            drift = {
                "window": paper["window"],
                "backtest": {
                    "num_trades": m["num_trades"],
                    "win_rate": (m["win_rate_pct"] or 0) / 100
                    if m["win_rate_pct"] is not None
                    else None,
                    "avg_trade_return_pct": m["avg_trade_return_pct"],
                    "total_return_pct": m["total_return_pct"],
                },
                "paper": {
                    "num_trades": paper["total_trades"],
                    "win_rate": paper["win_rate"],
                    "avg_trade_return_pct": paper["avg_roi"],
                },
                "trade_count_difference": paper["total_trades"] - m["num_trades"],
                "win_rate_difference": None
                if m["win_rate_pct"] is None
                else round(paper["win_rate"] - m["win_rate_pct"] / 100, 4),
            }
        else:
            drift = {
                "window": paper["window"],
                "detail": "no candles of the strategy's market cover the paper trades' window",
            }
    return {
        "strategy_id": strategy.seed_id,
        "name": strategy.name,
        "version": strategy.version,
        "backtests": {"count": runs.count(), "latest": rows[0] if rows else None, "runs": rows},
        "paper": paper,
        "drift": drift,
    }
