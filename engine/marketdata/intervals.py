"""Candle intervals: names, lengths and alignment.

Binance's interval names are the product's vocabulary. Every interval but ``1w``
is aligned to the Unix epoch; weekly candles open on Monday 00:00 UTC, and the
epoch was a Thursday, hence the offset.
"""

from __future__ import annotations

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "1w": 7 * DAY_MS,
}
INTERVALS: tuple[str, ...] = tuple(INTERVAL_MS)

# 1970-01-01 was a Thursday; Binance weeks start on Monday 00:00 UTC (1970-01-05).
_WEEK_OFFSET_MS = 4 * DAY_MS


def interval_ms(name: str) -> int:
    """Length of an interval in milliseconds; ValueError for an unknown name."""
    try:
        return INTERVAL_MS[name]
    except KeyError:
        raise ValueError(
            f"unknown interval {name!r}; expected one of {', '.join(INTERVALS)}"
        ) from None


def interval_offset_ms(name: str) -> int:
    """Offset of the interval's grid from the epoch (non-zero only for weeks)."""
    return _WEEK_OFFSET_MS if name == "1w" else 0


def interval_from_ms(ms: int) -> str | None:
    """The interval name whose length is ``ms``, or None."""
    for name, length in INTERVAL_MS.items():
        if length == ms:
            return name
    return None


def periods_per_year(name: str) -> float:
    """Bars per year for annualising (crypto trades around the clock)."""
    return 365 * DAY_MS / interval_ms(name)
