"""Indicators (TA-Lib conventions, NaN before defined) and the registry the strategy language uses."""

from .core import MACD, Bollinger, Stoch, atr, bollinger, ema, macd, rsi, sma, stoch
from .registry import INDICATORS, PRICE_FIELDS, IndicatorSpec, compute, lookback, parse_spec

__all__ = [
    "INDICATORS",
    "MACD",
    "PRICE_FIELDS",
    "Bollinger",
    "IndicatorSpec",
    "Stoch",
    "atr",
    "bollinger",
    "compute",
    "ema",
    "lookback",
    "macd",
    "parse_spec",
    "rsi",
    "sma",
    "stoch",
]
