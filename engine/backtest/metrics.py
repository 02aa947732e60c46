"""Performance metrics from an equity curve and the trades, vectorised. None where a
metric is undefined (no trades, no variance), never NaN or infinity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

SECONDS_PER_YEAR = 365 * 24 * 3600  # crypto trades around the clock
# The keys of compute_metrics, in its order (the API types each one).
METRIC_KEYS = (
    "final_balance",
    "total_return_pct",
    "buy_and_hold_return_pct",
    "cagr_pct",
    "max_drawdown_pct",
    "max_drawdown_duration_bars",
    "max_drawdown_duration_seconds",
    "sharpe",
    "sortino",
    "calmar",
    "num_trades",
    "win_rate_pct",
    "profit_factor",
    "expectancy",
    "avg_trade_return_pct",
    "best_trade_pct",
    "worst_trade_pct",
    "exposure_pct",
    "total_fees",
)


def _f(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def drawdown_pct(values: np.ndarray) -> np.ndarray:
    """Each point's distance below the highest equity so far, in percent: 0 at a new peak,
    negative below one, never positive."""
    v = np.asarray(values, dtype="float64")
    if not len(v):
        return v
    peak = np.maximum.accumulate(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (v / peak - 1.0) * 100.0, 0.0)
    return np.minimum(dd, 0.0)


@njit(cache=True, nogil=True)
def equity_stats(values):
    """One pass over the equity curve: max drawdown (fraction), the longest stretch below a
    previous peak (bars), and the per-bar returns' mean, sample std and downside deviation."""
    n = len(values)
    peak = values[0] if n else 0.0
    max_dd = 0.0
    run = 0
    longest = 0
    s = 0.0
    s2 = 0.0
    down2 = 0.0
    for i in range(n):
        v = values[i]
        if v > peak:
            peak = v
        dd = 1.0 - v / peak if peak > 0 else 0.0
        if dd > max_dd:
            max_dd = dd
        if v < peak:
            run += 1
            if run > longest:
                longest = run
        else:
            run = 0
        if i > 0:
            r = v / values[i - 1] - 1.0 if values[i - 1] != 0 else 0.0
            s += r
            s2 += r * r
            if r < 0:
                down2 += r * r
    m = n - 1
    mean = s / m if m > 0 else 0.0
    var = (s2 - m * mean * mean) / (m - 1) if m > 1 else 0.0
    std = math.sqrt(var) if var > 0 else 0.0
    downside = math.sqrt(down2 / m) if m > 0 else 0.0
    return max_dd, longest, mean, std, downside


def compute_metrics(
    equity: pd.Series,
    *,
    initial_balance: float,
    pnl: np.ndarray,
    returns_pct: np.ndarray,
    fees: np.ndarray,
    bars_in_market: int,
    bar_seconds: float,
    buy_and_hold_pct: float | None,
) -> dict[str, Any]:
    values = equity.to_numpy(dtype="float64")
    n = len(values)
    final = float(values[-1]) if n else initial_balance
    total_return = (final / initial_balance - 1.0) * 100.0
    span_seconds = n * bar_seconds
    years = span_seconds / SECONDS_PER_YEAR
    cagr = (
        ((final / initial_balance) ** (1.0 / years) - 1.0) * 100.0
        if years > 0 and final > 0
        else None
    )

    max_dd_frac, longest, mean_ret, sd, dsd = (
        equity_stats(np.ascontiguousarray(values)) if n else (0.0, 0, 0.0, 0.0, 0.0)
    )
    max_dd = max_dd_frac * 100.0
    periods = SECONDS_PER_YEAR / bar_seconds
    sharpe = mean_ret / sd * math.sqrt(periods) if sd > 1e-15 else None
    sortino = mean_ret / dsd * math.sqrt(periods) if dsd > 1e-15 else None
    calmar = (cagr / max_dd) if cagr is not None and max_dd > 0 else None

    trades = len(pnl)
    wins = pnl[pnl > 0]
    losses = pnl[pnl < 0]
    gross_loss = -losses.sum()
    return {
        "final_balance": _f(final, 2),
        "total_return_pct": _f(total_return, 4),
        "buy_and_hold_return_pct": _f(buy_and_hold_pct, 4)
        if buy_and_hold_pct is not None
        else None,
        "cagr_pct": _f(cagr, 4) if cagr is not None else None,
        "max_drawdown_pct": _f(max_dd, 4),
        "max_drawdown_duration_bars": longest,
        "max_drawdown_duration_seconds": int(longest * bar_seconds),
        "sharpe": _f(sharpe, 4) if sharpe is not None else None,
        "sortino": _f(sortino, 4) if sortino is not None else None,
        "calmar": _f(calmar, 4) if calmar is not None else None,
        "num_trades": trades,
        "win_rate_pct": _f(len(wins) / trades * 100.0, 4) if trades else None,
        "profit_factor": _f(wins.sum() / gross_loss, 4) if gross_loss > 0 else None,
        "expectancy": _f(pnl.mean(), 4) if trades else None,
        "avg_trade_return_pct": _f(returns_pct.mean(), 4) if trades else None,
        "best_trade_pct": _f(returns_pct.max(), 4) if trades else None,
        "worst_trade_pct": _f(returns_pct.min(), 4) if trades else None,
        "exposure_pct": _f(bars_in_market / n * 100.0, 4) if n else None,
        "total_fees": _f(fees.sum(), 4),
    }
