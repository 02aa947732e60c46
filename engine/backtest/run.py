"""Running a backtest: window, parameters from the config or the strategy's risk, the
compiled simulator, then metrics and the result."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import engine
from engine.marketdata import interval_ms
from engine.strategy import Strategy, compile_signals, infer_interval

from .config import BacktestConfig, ConfigError
from .metrics import compute_metrics
from .result import BacktestResult, TradeColumns
from .simulate import SimParams, simulate_bars, trade_capacity

Progress = Callable[[float], None] | None


def _bar_seconds(index: pd.DatetimeIndex, interval: str | None) -> float:
    if interval:
        return interval_ms(interval) / 1000.0
    if len(index) >= 2:
        try:
            return interval_ms(infer_interval(index)) / 1000.0
        except ValueError:
            return float(np.median(np.diff(index.as_unit("ms").asi8))) / 1000.0
    return 3600.0


def _window(index: pd.DatetimeIndex, config: BacktestConfig) -> tuple[int, int]:
    lo, hi = 0, len(index)
    if config.start is not None:
        start = pd.Timestamp(config.start)
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        lo = int(index.searchsorted(start, side="left"))
    if config.end is not None:
        end = pd.Timestamp(config.end)
        end = end.tz_localize("UTC") if end.tzinfo is None else end
        hi = int(index.searchsorted(end, side="right"))
    return lo, hi


def simulate(
    candles: pd.DataFrame,
    entry: np.ndarray,
    exit: np.ndarray,  # noqa: A002 - the signal's name
    config: BacktestConfig,
    *,
    warmup: int = 0,
    risk=None,
    interval: str | None = None,
    strategy: dict | None = None,
    on_progress: Progress = None,
) -> BacktestResult:
    """Simulate precomputed entry/exit signals over the candles (see simulate.py)."""
    config.validate()
    t0 = time.perf_counter()
    n = len(candles)
    if len(entry) != n or len(exit) != n:
        raise ValueError("entry and exit must have one value per candle")
    lo, hi = _window(candles.index, config)
    if hi - lo < 1:
        raise ConfigError("start", "no candles between start and end")
    size = (
        config.position_size_pct
        if config.position_size_pct is not None
        else getattr(risk, "position_size_pct", 100.0)
    )
    sl = (
        config.stop_loss_pct
        if config.stop_loss_pct is not None
        else getattr(risk, "stop_loss_pct", None)
    )
    tp = (
        config.take_profit_pct
        if config.take_profit_pct is not None
        else getattr(risk, "take_profit_pct", None)
    )
    o, h, lw, c = (
        np.ascontiguousarray(candles[k].to_numpy(dtype="float64"))
        for k in ("open", "high", "low", "close")
    )
    next_open = config.fill == "next_open"
    entry = np.ascontiguousarray(entry, dtype=np.bool_)
    exit = np.ascontiguousarray(exit, dtype=np.bool_)  # noqa: A001
    warmup = max(int(warmup), 0)
    params = SimParams(
        lo=lo,
        hi=hi,
        warmup=warmup,
        next_open=next_open,
        fee=float(config.fee_rate),
        slip=float(config.slippage_bps) / 1e4,
        size_frac=float(size) / 100.0,
        sl=float(sl or 0.0) / 100.0,
        tp=float(tp or 0.0) / 100.0,
        allow_short=bool(config.allow_short),
        initial=float(config.initial_balance),
    )
    out = simulate_bars(
        o,
        h,
        lw,
        c,
        entry,
        exit,
        params,
        trade_capacity(entry, exit, lo, hi, warmup, params.allow_short),
    )
    if on_progress:
        on_progress(0.8)
    side, ei, xi, ep, xp, qty, ef, xf, pnl, reason, equity_values = out
    columns = TradeColumns(side, ei, xi, ep, xp, qty, ef, xf, pnl, reason)
    window_index = candles.index[lo:hi]
    equity = pd.Series(equity_values[lo:hi], index=window_index, name="equity")

    first = max(lo, int(warmup))
    if next_open and first + 1 < hi:
        bh_entry, basis = o[first + 1], "open of the bar after the warm-up"
    elif first < hi:
        bh_entry, basis = c[first], "close of the first bar after the warm-up"
    else:
        bh_entry, basis = np.nan, "none"
    bh = (c[hi - 1] / bh_entry - 1.0) * 100.0 if np.isfinite(bh_entry) and bh_entry > 0 else None
    bar_seconds = _bar_seconds(candles.index, interval)
    metrics = compute_metrics(
        equity,
        initial_balance=config.initial_balance,
        pnl=pnl,
        returns_pct=columns.return_pct,
        fees=np.concatenate([ef, xf]),
        bars_in_market=int((xi - ei).sum()),
        bar_seconds=bar_seconds,
        buy_and_hold_pct=bh,
    )
    assumptions = {
        "fill": config.fill,
        "fill_rule": "signals on a bar's close fill at the next bar's open"
        if next_open
        else "signals fill at the signal bar's close",
        "fee_rate": config.fee_rate,
        "fees": "charged on entry and on exit, on the notional",
        "slippage_bps": config.slippage_bps,
        "slippage": "moves every fill against the trader",
        "position_size_pct": float(size),
        "stop_loss_pct": sl,
        "take_profit_pct": tp,
        "stop_take_rule": "checked from the bar after entry on its low/high; the stop-loss wins when both are touched; a gap through a level fills at the open",
        "allow_short": config.allow_short,
        "warmup_bars": int(warmup),
        "end_of_data": "an open position is closed at the last close",
        "buy_and_hold_basis": f"{basis} to the last close, no fees",
        "annualisation": "365 days of 24 hours",
        "window": [
            window_index[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
            window_index[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
        ],
        "candles": int(hi - lo),
    }
    if on_progress:
        on_progress(1.0)
    return BacktestResult(
        index=candles.index,
        columns=columns,
        equity=equity,
        metrics=metrics,
        config=config.to_dict(),
        assumptions=assumptions,
        engine_version=engine.__version__,
        strategy=strategy,
        timings={"simulate_seconds": time.perf_counter() - t0},
    )


def run_backtest(
    candles: pd.DataFrame,
    strategy: Strategy,
    config: BacktestConfig,
    on_progress: Progress = None,
    *,
    interval: str | None = None,
    indicator_cache: dict | None = None,
) -> BacktestResult:
    """Compile the strategy's signals over the candles and simulate them
    (``indicator_cache``: compile_signals' ``cache``, shared by a sweep's combinations)."""
    config.validate()
    t0 = time.perf_counter()
    if on_progress:
        on_progress(0.05)
    signals = compile_signals(
        strategy, candles, interval=interval, with_strength=False, cache=indicator_cache
    )
    t1 = time.perf_counter()
    if on_progress:
        on_progress(0.5)
    result = simulate(
        candles,
        signals.entry,
        signals.exit,
        config,
        warmup=signals.warmup,
        risk=strategy.risk,
        interval=interval,
        strategy=strategy.to_dict(),
        on_progress=on_progress,
    )
    result.timings.update({"signals_seconds": t1 - t0, "total_seconds": time.perf_counter() - t0})
    return result
