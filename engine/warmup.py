"""Warm-up: compile (or load from numba's on-disk cache) every engine kernel a user request
can reach, on a few hundred generated candles, so the first backtest, sweep or desk
backtest a user asks for does not pay for it. Celery workers call ``warm_up`` when a worker
process starts; the embedded runner calls it in a background thread at start-up.

The generated data has the dtypes the real paths use (float64 candles, int8 actions), so
the specialisations compiled here are the ones real requests dispatch to.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

WARM_BARS = 400

_STRATEGIES = (
    # Shape A (RSI + EMA crossing): the indicator rules and crossings.
    {
        "indicators": {
            "rsi": {"period": 14, "buy_below": 30, "sell_above": 70},
            "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
        }
    },
    # Shape B (conditions with comparisons, stops): the comparison kernel and exits.
    {
        "entry_conditions": [
            {"indicator": "rsi", "params": {"period": 14}, "condition": "< 45"},
            {"indicator": "close", "condition": "> ema(50)"},
        ],
        "exit_conditions": [{"indicator": "rsi", "condition": "> 55"}],
        "entry_logic": "all",
        "exit_logic": "any",
        "risk": {"stop_loss_pct": 2.0, "take_profit_pct": 5.0, "position_size_pct": 100},
    },
)


def warm_candles(n: int = WARM_BARS, seed: int = 15) -> pd.DataFrame:
    """``n`` hourly candles of a random walk (valid OHLCV, float64, UTC index)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[close[0], close[:-1]]
    spread = np.abs(rng.normal(0, 0.004, n)) * close
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC", name="open_time")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.uniform(1, 10, n),
        },
        index=index,
    )


def warm_up() -> dict[str, float]:
    """Run each kernel once; seconds spent per part (what a cold first request would pay)."""
    from engine.backtest import BacktestConfig, run_backtest
    from engine.desk import DeskAgent, DeskParams, agent_series, run_desk_backtest
    from engine.strategy import parse_strategy

    timings: dict[str, float] = {}
    candles = warm_candles()
    t0 = time.perf_counter()
    strategies = [
        parse_strategy({**d, "symbol": "WARMUSDT", "timeframe": "1h"}) for d in _STRATEGIES
    ]
    for strategy in strategies:
        for fill in ("next_open", "close"):
            run_backtest(candles, strategy, BacktestConfig(fill=fill), interval="1h")
    timings["backtest"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    agents = []
    for i, strategy in enumerate(strategies, start=1):
        s = agent_series(strategy, candles, interval="1h")
        agents.append(DeskAgent(i, f"warm {i}", "WARMUSDT", "1h", candles, s.action, s.confidence))
    run_desk_backtest(
        agents,
        DeskParams(seeds=2),
        start=candles.index[0],
        end=candles.index[-1],
        band_points=10,
    )
    timings["desk"] = time.perf_counter() - t0
    return timings
