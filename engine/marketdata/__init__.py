"""Candle files and intervals: reading, validating and describing market data."""

from .bounds import ReadLimits
from .csvfile import (
    OHLCV,
    CandleFile,
    CandleFileError,
    Gap,
    RowError,
    empty_frame,
    find_gaps,
    read_candles,
)
from .intervals import (
    INTERVAL_MS,
    INTERVALS,
    interval_from_ms,
    interval_ms,
    interval_offset_ms,
    periods_per_year,
)

__all__ = [
    "INTERVALS",
    "INTERVAL_MS",
    "OHLCV",
    "ReadLimits",
    "CandleFile",
    "CandleFileError",
    "Gap",
    "RowError",
    "empty_frame",
    "find_gaps",
    "interval_from_ms",
    "interval_ms",
    "interval_offset_ms",
    "periods_per_year",
    "read_candles",
]
