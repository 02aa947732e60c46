"""ML features and labels, computed from data up to each bar only.

The original feature extractor's set (RSI 14, EMA 12, EMA 26, MACD, its 9-period
signal, the histogram) plus returns over 1/5/20 bars, rolling volatility and a volume
z-score. Every feature at bar t is a function of bars <= t (rolling windows look
back, never forward). Rows where any feature is undefined are dropped, never filled
with 0: a zero RSI is a signal, not a missing value.

Price-level features (EMAs, MACD) are expressed relative to the close so that a model
trained in 2020 does not see 2025 prices as out of range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import talib

FEATURES: tuple[str, ...] = (
    "rsi_14",
    "ema_12_rel",
    "ema_26_rel",
    "macd_rel",
    "macd_signal_rel",
    "macd_hist_rel",
    "ret_1",
    "ret_5",
    "ret_20",
    "volatility_20",
    "volume_z_20",
)
# Bars of history a feature row needs (MACD(12, 26, 9) is the longest: 33).
LOOKBACK = 34


def build_features(candles: pd.DataFrame) -> pd.DataFrame:
    """One row per bar with every feature (NaN where undefined), same index as candles."""
    close = candles["close"].to_numpy(dtype="float64")
    volume = candles["volume"].to_numpy(dtype="float64")
    ema12 = talib.EMA(close, 12)
    ema26 = talib.EMA(close, 26)
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    s_close = pd.Series(close, index=candles.index)
    log_ret = np.log(s_close).diff()
    vol = pd.Series(volume, index=candles.index)
    vol_mean = vol.rolling(20).mean()
    vol_std = vol.rolling(20).std(ddof=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_z = ((vol - vol_mean) / vol_std.where(vol_std > 0)).to_numpy()
        frame = pd.DataFrame(
            {
                "rsi_14": talib.RSI(close, 14),
                "ema_12_rel": ema12 / close - 1.0,
                "ema_26_rel": ema26 / close - 1.0,
                "macd_rel": macd / close,
                "macd_signal_rel": signal / close,
                "macd_hist_rel": hist / close,
                "ret_1": s_close.pct_change(1, fill_method=None).to_numpy(),
                "ret_5": s_close.pct_change(5, fill_method=None).to_numpy(),
                "ret_20": s_close.pct_change(20, fill_method=None).to_numpy(),
                "volatility_20": log_ret.rolling(20).std(ddof=0).to_numpy(),
                "volume_z_20": volume_z,
            },
            index=candles.index,
        )
    return frame[list(FEATURES)]


def build_labels(candles: pd.DataFrame) -> pd.Series:
    """1 if the next close is higher than this close, else 0; NaN on the last bar (no future)."""
    close = candles["close"]
    nxt = close.shift(-1)
    label = (nxt > close).astype("float64")
    label[nxt.isna()] = np.nan
    return label


@dataclass(frozen=True)
class Dataset:
    X: pd.DataFrame
    y: pd.Series

    def __len__(self) -> int:
        return len(self.y)


def build_dataset(candles: pd.DataFrame) -> Dataset:
    """Features and labels aligned; rows with an undefined feature or no label dropped."""
    X = build_features(candles)
    y = build_labels(candles)
    keep = X.notna().all(axis=1) & y.notna() & np.isfinite(X).all(axis=1)
    return Dataset(X=X.loc[keep], y=y.loc[keep].astype("int64"))


def latest_features(candles: pd.DataFrame) -> pd.DataFrame:
    """The feature row of the last bar (for a live prediction); empty if undefined."""
    X = build_features(candles)
    last = X.iloc[[-1]] if len(X) else X
    return last.loc[last.notna().all(axis=1)]
