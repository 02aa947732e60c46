"""Technical indicators, vectorised over whole series, with TA-Lib's conventions.

TA-Lib (the field's reference implementation, C) computes the values: EMA seeded with
the SMA of its first ``period`` values, RSI with Wilder's smoothing seeded with simple
averages, MACD aligned to its signal line, and so on. Bars before an indicator is
defined are NaN, never 0. Inputs are float arrays or Series; outputs are float64
arrays of the same length.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import talib

ArrayLike = np.ndarray | pd.Series | list[float]


def _arr(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype="float64")
    if a.ndim != 1:
        raise ValueError("indicator input must be one-dimensional")
    return np.ascontiguousarray(a)


def _period(period: int, name: str = "period", minimum: int = 2) -> int:
    if isinstance(period, bool) or int(period) != period or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}")
    return int(period)


def _nan_like(a: np.ndarray) -> np.ndarray:
    return np.full(len(a), np.nan)


class MACD(NamedTuple):
    macd: np.ndarray
    signal: np.ndarray
    hist: np.ndarray


class Bollinger(NamedTuple):
    upper: np.ndarray
    middle: np.ndarray
    lower: np.ndarray


class Stoch(NamedTuple):
    k: np.ndarray
    d: np.ndarray


def sma(close: ArrayLike, period: int = 20) -> np.ndarray:
    c, p = _arr(close), _period(period)
    return talib.SMA(c, p) if len(c) >= p else _nan_like(c)


def ema(close: ArrayLike, period: int = 20) -> np.ndarray:
    c, p = _arr(close), _period(period)
    return talib.EMA(c, p) if len(c) >= p else _nan_like(c)


def rsi(close: ArrayLike, period: int = 14) -> np.ndarray:
    c, p = _arr(close), _period(period)
    return talib.RSI(c, p) if len(c) > p else _nan_like(c)


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> MACD:
    c = _arr(close)
    f, s, g = _period(fast, "fast"), _period(slow, "slow"), _period(signal, "signal", 1)
    if f >= s:
        raise ValueError("fast must be shorter than slow")
    if len(c) < s + g - 1:
        n = _nan_like(c)
        return MACD(n, n.copy(), n.copy())
    return MACD(*talib.MACD(c, f, s, g))


def bollinger(close: ArrayLike, period: int = 20, nbdev: float = 2.0) -> Bollinger:
    c, p = _arr(close), _period(period)
    if not (0 < float(nbdev) <= 10):
        raise ValueError("nbdev must be in (0, 10]")
    if len(c) < p:
        n = _nan_like(c)
        return Bollinger(n, n.copy(), n.copy())
    return Bollinger(*talib.BBANDS(c, p, float(nbdev), float(nbdev), 0))


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> np.ndarray:
    h, lo, c, p = _arr(high), _arr(low), _arr(close), _period(period, minimum=1)
    return talib.ATR(h, lo, c, p) if len(c) > p else _nan_like(c)


def stoch(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, k_period: int = 14, d_period: int = 3
) -> Stoch:
    """Slow stochastic as TA-Lib's STOCH: fast %K over ``k_period``, smoothed by a 3-bar SMA
    into %K, and %D the ``d_period`` SMA of %K."""
    h, lo, c = _arr(high), _arr(low), _arr(close)
    k, d = _period(k_period, "k_period", 1), _period(d_period, "d_period", 1)
    if len(c) < k + 3 - 1 + d - 1 + 1:
        n = _nan_like(c)
        return Stoch(n, n.copy())
    return Stoch(*talib.STOCH(h, lo, c, k, 3, 0, d, 0))
