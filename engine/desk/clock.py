"""The desk's clock as seen live (SPEC §7a Live): how old a market time is against now, in
whole intervals and in words, and whether a signal or a quote is still fresh.

A market time is the close of the last candle used. It is *fresh* when it lies within
``max_stale_bars`` intervals of now: with 1h candles and the default 2, a signal decided
on a candle that closed 2 hours ago is fresh, one from 2 hours and a second ago is stale.
Pure Python: the live services, the pages and the API read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# (name, seconds): the units an age is told in, largest first.
_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


@dataclass(frozen=True)
class Staleness:
    """How old a market time is as of now."""

    market_time: datetime
    fresh: bool
    age_bars: int  # whole intervals elapsed since the market time (0 while the next bar is open)
    age: str  # in words: "3 years, 2 months", "45 minutes"


def age_words(age: timedelta) -> str:
    """A duration in words, the largest unit and the next one when it is not zero:
    "3 years, 2 months", "1 day, 4 hours", "45 minutes"; under a minute, "less than a
    minute". A negative duration (a time after now) is told as zero."""
    seconds = max(0, int(age.total_seconds()))
    for i, (name, size) in enumerate(_UNITS):
        count = seconds // size
        if count == 0:
            continue
        parts = [f"{count} {name}{'s' if count != 1 else ''}"]
        if i + 1 < len(_UNITS):
            next_name, next_size = _UNITS[i + 1]
            rest = (seconds - count * size) // next_size
            if rest:
                parts.append(f"{rest} {next_name}{'s' if rest != 1 else ''}")
        return ", ".join(parts)
    return "less than a minute"


def staleness(
    market_time: datetime, now: datetime, interval_ms: int, max_stale_bars: int
) -> Staleness:
    """Whether ``market_time`` (a candle's close) is within ``max_stale_bars`` intervals of
    ``now``, with its age in intervals and in words."""
    if interval_ms <= 0:
        raise ValueError("interval_ms must be positive")
    if max_stale_bars < 0:
        raise ValueError("max_stale_bars must be 0 or more")
    age = now - market_time
    interval = timedelta(milliseconds=interval_ms)
    return Staleness(
        market_time=market_time,
        fresh=age <= interval * max_stale_bars,
        age_bars=max(0, age // interval),
        age=age_words(age),
    )
