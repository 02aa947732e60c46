"""Higher-timeframe bars, and aligning their values back to the base bars without look-ahead.

Bins are aligned to the Unix epoch like Binance's (4h bars open at 00:00, 04:00, ...;
weekly bars on Monday 00:00 UTC). A higher-timeframe value reaches base bar i only once
that higher-timeframe bar has closed, i.e. at the first base bar whose close is at or
after the higher bar's close. A trailing, still-open higher bar is never used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.marketdata import interval_ms, interval_offset_ms

AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample(candles: pd.DataFrame, interval: str) -> pd.DataFrame:
    """OHLCV bars of ``interval`` built from the candles (empty bins dropped)."""
    step = interval_ms(interval)
    offset = interval_offset_ms(interval)
    ms = candles.index.as_unit("ms").asi8
    bins = (ms - offset) // step * step + offset
    grouped = candles.groupby(bins, sort=True).agg(AGG)
    index = pd.DatetimeIndex(
        pd.to_datetime(grouped.index.to_numpy(), unit="ms", utc=True), name="open_time"
    )
    return grouped.set_index(index)


def align_to_base(
    values: np.ndarray,
    htf_open_ms: np.ndarray,
    htf_interval: str,
    base_open_ms: np.ndarray,
    base_interval_ms: int,
) -> np.ndarray:
    """For each base bar, the value of the latest higher-timeframe bar closed by its close."""
    htf_close = htf_open_ms + interval_ms(htf_interval)
    base_close = base_open_ms + base_interval_ms
    idx = np.searchsorted(htf_close, base_close, side="right") - 1
    out = np.full(len(base_open_ms), np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def resample_closed(candles: pd.DataFrame, base_interval: str, interval: str) -> pd.DataFrame:
    """Higher bars of ``interval`` from ``base_interval`` candles, keeping only complete
    ones: a higher bar is complete once the data has passed its end (its open + step at or
    before the last candle's close), so a past bin with a gap (a weekday-only symbol's
    week has no Sunday bar) is kept and only the trailing bar still forming is left out
    (no look-ahead)."""
    if interval == base_interval or not builds_from(interval, base_interval):
        raise ValueError(f"{interval} bars cannot be built from {base_interval} bars")
    step, base = interval_ms(interval), interval_ms(base_interval)
    out = resample(candles, interval)
    if out.empty:
        return out
    data_end = candles.index.as_unit("ms").asi8.max() + base
    return out[out.index.as_unit("ms").asi8 + step <= data_end]


def builds_from(interval: str, base_interval: str) -> bool:
    """Whether ``interval`` bars are whole runs of ``base_interval`` bars (itself included):
    4h from 1h yes, 1h from 4h no, 1w (Monday-aligned) from 1d yes."""
    step, base = interval_ms(interval), interval_ms(base_interval)
    return step >= base and step % base == 0 and interval_offset_ms(interval) % base == 0


def finer_source(interval: str, stored: list[str] | tuple[str, ...]) -> str | None:
    """The coarsest of the ``stored`` intervals, finer than ``interval``, that ``interval``
    bars can be built from."""
    fits = [s for s in stored if s != interval and builds_from(interval, s)]
    return max(fits, key=interval_ms, default=None)
