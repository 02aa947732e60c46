"""A numeric parameter's range, written once: the engine checks it (``contains``, with
``message`` as the reason) and the pages and API offer the same range as a closed one
(``input_min``/``input_max``: an open end moves in by ``step``, the finest value they take)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    step: float = 0.0
    text: str = ""

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    @property
    def message(self) -> str:
        if self.text:
            return self.text
        low = "greater than" if self.low_open else "at least"
        high = "below" if self.high_open else "at most"
        return f"must be {low} {self.low} and {high} {self.high}"

    @property
    def input_min(self) -> float:
        # Rounded so 0 + 0.0001 reads 0.0001 in a form's error, not 0.00010000000000000002.
        return round(self.low + self.step, 10) if self.low_open else self.low

    @property
    def input_max(self) -> float:
        return round(self.high - self.step, 10) if self.high_open else self.high


def window_problem(start: Any, end: Any, *, empty_ok: bool = True) -> str | None:
    """Why ``start``..``end`` is no window (end before start; end at start too when
    ``empty_ok`` is false), or None; an open end (None) is always fine. The backtest config,
    the services and the API serializers all ask this one rule."""
    if start is None or end is None:
        return None
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        return "end is before start"
    if end == start and not empty_ok:
        return "end is at start: the window is empty"
    return None
