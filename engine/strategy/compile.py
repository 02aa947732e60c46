"""Compile a strategy into boolean entry/exit arrays over a candle frame.

Everything is vectorised over the whole series. The signal of bar i uses values up to
and including bar i only: indicators are causal, a crossing looks at bars i-1 and i,
and higher-timeframe values are aligned so they appear only after their bar closed.

Per SPEC §4/§5: a side fires only where every one of its conditions is defined (the
warm-up: for a crossing, this bar and the one before); ``all``/``any`` combine the
conditions; a bar where entry and exit both fire is a hold (neither).

Each condition also gets a *strength* in [0, 1] where it fires — how far past its
threshold the left side is — which agents use as confidence without a model:
- against a bounded oscillator (RSI, stochastic: 0..100) the distance past the
  threshold divided by the room left to the extreme (RSI 20 under a threshold of 30:
  (30 - 20) / 30 = 0.33);
- otherwise the relative distance |left - right| / |right| divided by 2%, so a close
  1% above its EMA scores 0.5 and 2% or more scores 1. Never a constant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from engine.indicators import INDICATORS, compute, lookback
from engine.marketdata import INTERVAL_MS, interval_from_ms, interval_ms

from .grammar import Operand
from .resample import align_to_base, builds_from, resample
from .schema import Condition, Strategy

PRICE_SCALE = 0.02


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    fired: np.ndarray
    defined: np.ndarray
    left: np.ndarray
    right: np.ndarray
    strength: np.ndarray


@dataclass(frozen=True)
class Signals:
    entry: np.ndarray
    exit: np.ndarray
    warmup: int
    conditions: tuple[ConditionResult, ...]


def infer_interval(index: pd.DatetimeIndex) -> str:
    if len(index) < 2:
        raise ValueError("cannot infer the interval of fewer than two candles; pass interval=")
    diffs = np.diff(index.as_unit("ms").asi8)
    vals, counts = np.unique(diffs, return_counts=True)
    name = interval_from_ms(int(vals[np.argmax(counts)]))
    if name is None:
        raise ValueError("the candles are not spaced by a supported interval; pass interval=")
    return name


def base_interval(strategy: Strategy, candles: pd.DataFrame, interval: str | None) -> str:
    """The interval the candles are in: as given, else inferred from their spacing, else
    (fewer than two candles) the strategy's timeframe."""
    if interval:
        return interval
    return infer_interval(candles.index) if len(candles) >= 2 else strategy.timeframe


class _Evaluator:
    def __init__(
        self, candles: pd.DataFrame, base_interval: str, cache: dict[tuple, np.ndarray] | None
    ):
        self.candles = candles
        self.base = base_interval
        self.base_ms = interval_ms(base_interval)
        self._open_ms: np.ndarray | None = None
        self._frames: dict[str, pd.DataFrame] = {}
        self._cache: dict[tuple, np.ndarray] = {} if cache is None else cache

    @property
    def open_ms(self) -> np.ndarray:
        # Only higher-timeframe alignment needs the raw times; converting 1M stamps costs.
        if self._open_ms is None:
            self._open_ms = self.candles.index.as_unit("ms").asi8
        return self._open_ms

    def frame(self, tf: str | None) -> pd.DataFrame:
        if tf is None or tf == self.base:
            return self.candles
        if tf not in self._frames:
            self._frames[tf] = resample(self.candles, tf)
        return self._frames[tf]

    def series(self, operand: Operand, tf: str | None) -> np.ndarray:
        n = len(self.candles)
        if operand.kind == "number":
            return np.full(n, float(operand.value))
        key = (operand.kind, operand.name, operand.params, operand.line, tf)
        if key in self._cache:
            return self._cache[key]
        frame = self.frame(tf)
        lines = compute(operand.name, frame, operand.params or None)
        values = lines[operand.line or "value"] if operand.kind == "indicator" else lines["value"]
        values = np.asarray(values, dtype="float64")
        if tf is not None and tf != self.base:
            values = align_to_base(
                values, frame.index.as_unit("ms").asi8, tf, self.open_ms, self.base_ms
            )
        self._cache[key] = values
        return values


def _strength(
    cond: Condition, left: np.ndarray, right: np.ndarray, fired: np.ndarray
) -> np.ndarray:
    out = np.zeros(len(left))
    if not fired.any():
        return out
    spec = INDICATORS.get(cond.left.name) if cond.left.kind == "indicator" else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec is not None and spec.bounds is not None and cond.right.kind == "number":
            lo, hi = spec.bounds
            below = cond.op in ("<", "<=", "crosses_below")
            room = (right - lo) if below else (hi - right)
            dist = (right - left) if below else (left - right)
            raw = np.where(room > 0, dist / room, 1.0)
        else:
            raw = np.abs(left - right) / (np.abs(right) * PRICE_SCALE)
        raw = np.where(np.isfinite(raw), raw, 1.0)
    out[fired] = np.clip(raw[fired], 0.0, 1.0)
    return out


_OPS = {"<": 0, "<=": 1, ">": 2, ">=": 3, "crosses_above": 4, "crosses_below": 5}


@njit(cache=True, nogil=True)
def _compare(left, right, op):
    """One pass: where the condition is defined and where it fires (NaN never fires).

    A crossing compares bar i with bar i-1 and is defined only where both bars are;
    bar 0 has no previous bar."""
    n = len(left)
    fired = np.zeros(n, np.bool_)
    defined = np.empty(n, np.bool_)
    # Comparisons with NaN are false, so `fired` needs no test of `defined` (branch-free).
    if op < 4:
        for i in range(n):
            a, b = left[i], right[i]
            defined[i] = (a == a) & (b == b)
            if op == 0:
                fired[i] = a < b
            elif op == 1:
                fired[i] = a <= b
            elif op == 2:
                fired[i] = a > b
            else:
                fired[i] = a >= b
        return fired, defined
    if n:
        defined[0] = False
    prev_ok = n > 0 and (left[0] == left[0]) & (right[0] == right[0])
    for i in range(1, n):
        a, b, pa, pb = left[i], right[i], left[i - 1], right[i - 1]
        ok = (a == a) & (b == b)
        defined[i] = ok & prev_ok
        if op == 4:
            fired[i] = (pa <= pb) & (a > b)
        else:
            fired[i] = (pa >= pb) & (a < b)
        prev_ok = ok
    return fired, defined


def evaluate_condition(
    cond: Condition, ev: _Evaluator, with_strength: bool = True
) -> ConditionResult:
    left = ev.series(cond.left, cond.timeframe)
    right = ev.series(cond.right, cond.timeframe)
    fired, defined = _compare(
        np.ascontiguousarray(left, dtype=np.float64),
        np.ascontiguousarray(right, dtype=np.float64),
        _OPS[cond.op],
    )
    return ConditionResult(
        condition=cond,
        fired=fired,
        defined=defined,
        left=left,
        right=right,
        strength=_strength(cond, left, right, fired) if with_strength else np.zeros(0),
    )


def _combine(results: list[ConditionResult], logic: str, n: int) -> np.ndarray:
    if not results:
        return np.zeros(n, dtype=bool)
    defined = np.logical_and.reduce([r.defined for r in results])
    fired = [r.fired for r in results]
    combined = np.logical_and.reduce(fired) if logic == "all" else np.logical_or.reduce(fired)
    return combined & defined


def compile_signals(
    strategy: Strategy,
    candles: pd.DataFrame,
    interval: str | None = None,
    *,
    with_strength: bool = True,
    cache: dict[tuple, np.ndarray] | None = None,
) -> Signals:
    """Entry/exit arrays and per-condition detail. ``with_strength=False`` leaves the
    strength arrays empty: only agents read them, and backtests skip the work. ``cache``
    keeps each indicator series by its parameters across calls over the *same* candles
    (a sweep computes each distinct indicator once)."""
    n = len(candles)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return Signals(entry=empty, exit=empty.copy(), warmup=0, conditions=())
    base = base_interval(strategy, candles, interval)
    for cond in strategy.conditions:
        if cond.timeframe and not builds_from(cond.timeframe, base):
            raise ValueError(
                f"{cond.path}: timeframe {cond.timeframe} cannot be built from the candles' {base}"
            )
    ev = _Evaluator(candles, base, cache)
    entry_res = [evaluate_condition(c, ev, with_strength) for c in strategy.entry]
    exit_res = [evaluate_condition(c, ev, with_strength) for c in strategy.exit]
    entry = _combine(entry_res, strategy.entry_logic, n)
    exit_ = _combine(exit_res, strategy.exit_logic, n)
    both = entry & exit_
    entry &= ~both
    exit_ &= ~both
    all_defined = (
        np.logical_and.reduce([r.defined for r in entry_res + exit_res])
        if entry_res + exit_res
        else np.ones(n, bool)
    )
    warmup = int(np.argmax(all_defined)) if all_defined.any() else n
    return Signals(entry=entry, exit=exit_, warmup=warmup, conditions=tuple(entry_res + exit_res))


def required_lookback(strategy: Strategy, base_interval: str | None = None) -> int:
    """Bars of history before every value the strategy needs is defined."""
    base = base_interval or strategy.timeframe
    need = 0
    for cond in strategy.conditions:
        bars = max(_operand_lookback(cond.left), _operand_lookback(cond.right)) + (
            1 if cond.is_crossing else 0
        )
        if cond.timeframe and cond.timeframe != base:
            ratio = INTERVAL_MS[cond.timeframe] // INTERVAL_MS[base]
            bars = (bars + 2) * ratio
        need = max(need, bars)
    return need


def _operand_lookback(operand: Operand) -> int:
    if operand.kind != "indicator":
        return 0
    return lookback(operand.name, operand.params)
