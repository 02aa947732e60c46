"""Indicators (TA-Lib conventions, NaN before defined) and the registry the strategy language uses."""

from .core import MACD, Bollinger, Stoch, atr, bollinger, ema, macd, rsi, sma, stoch
from .registry import (
    INDICATORS,
    MAX_PERIOD,
    PRICE_FIELDS,
    IndicatorParamError,
    IndicatorSpec,
    compute,
    lookback,
    parse_spec,
    validate_params,
)

__all__ = [
    "INDICATORS",
    "MAX_PERIOD",
    "MACD",
    "PRICE_FIELDS",
    "Bollinger",
    "IndicatorParamError",
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
    "validate_params",
]
