"""The series a chart draws for a strategy: every line of every indicator its conditions
name, and the fixed thresholds they compare an oscillator with.

The values come from the evaluator ``compile_signals`` uses (same computation, same
higher-timeframe alignment, same base interval; no indicator cache: a chart is drawn
once), so the chart shows what the backtest saw:
bar i's value uses bars up to i only, and a higher-timeframe value appears once its bar
has closed. Moving averages and bands (``IndicatorSpec.overlay``) go on the price;
each other indicator gets a pane of its own below it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine.indicators import INDICATORS

from .compile import _Evaluator, base_interval
from .grammar import Operand
from .schema import Strategy


@dataclass(frozen=True)
class IndicatorLine:
    group: str  # the indicator as written, e.g. "macd(12,26,9)" or "ema(200) [4h]"
    label: str  # this line, e.g. "macd(12,26,9).signal"
    line: str
    overlay: bool  # drawn on the price pane
    values: np.ndarray  # one float per candle, NaN during the warm-up


@dataclass(frozen=True)
class Level:
    group: str  # the indicator pane the threshold belongs to
    value: float


@dataclass(frozen=True)
class StrategyDrawing:
    lines: tuple[IndicatorLine, ...]
    levels: tuple[Level, ...]


def _group(operand: Operand, timeframe: str | None) -> str:
    base = INDICATORS[operand.name].label(operand.params)
    return f"{base} [{timeframe}]" if timeframe else base


def strategy_drawing(
    strategy: Strategy, candles: pd.DataFrame, interval: str | None = None
) -> StrategyDrawing:
    """Each indicator the strategy's conditions use (once, in the order first used) with
    all of its lines over ``candles``, and the numbers oscillators are compared with."""
    if len(candles) == 0:
        return StrategyDrawing((), ())
    base = base_interval(strategy, candles, interval)
    ev = _Evaluator(candles, base, None)
    lines: list[IndicatorLine] = []
    levels: list[Level] = []
    seen: set[str] = set()
    for cond in strategy.conditions:
        tf = cond.timeframe if cond.timeframe != base else None
        for operand in (cond.left, cond.right):
            if operand.kind != "indicator":
                continue
            group = _group(operand, tf)
            spec = INDICATORS[operand.name]
            if group not in seen:
                seen.add(group)
                for line in spec.lines:
                    values = ev.series(replace(operand, line=line), cond.timeframe)
                    lines.append(
                        IndicatorLine(
                            group=group,
                            label=spec.label(operand.params, line) + (f" [{tf}]" if tf else ""),
                            line=line,
                            overlay=spec.overlay,
                            values=values,
                        )
                    )
        left, right = cond.left, cond.right
        if (
            left.kind == "indicator"
            and not INDICATORS[left.name].overlay
            and right.kind == "number"
        ):
            level = Level(_group(left, tf), float(right.value))
            if level not in levels:
                levels.append(level)
    return StrategyDrawing(tuple(lines), tuple(levels))
