"""An agent's evaluation (SPEC §7, §7a items 1-2), vectorised over every bar of a candle
table: the action, the confidence and the targets of bar i use candles up to bar i's
close only. The live services take the last bar, the replay the bar closing at its clock,
the desk backtest every bar of its window: the same arrays for the same candles.

Action: buy where the entry side fires, sell where the exit side fires, hold otherwise
(both firing is a hold), none before the strategy's warm-up.
Confidence: with a model, P(up) for a buy, 1 - P(up) for a sell and 1 - |2 P(up) - 1| for
a hold; without one, the mean strength of the acting side's firing conditions
(engine.strategy), and for a hold the mean distance of all conditions from firing, so a
market far from any signal gives a confident hold. Never a constant.
Targets: the strategy's risk settings, else 2 x ATR(14) for the target and 1 x ATR(14)
for the stop.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.indicators import INDICATORS, atr
from engine.strategy import Strategy, compile_signals
from engine.strategy.compile import PRICE_SCALE, ConditionResult

from .rules import ACTIONS, BUY, HOLD, SELL

ATR_PERIOD = 14


class EvaluationError(ValueError):
    """The agent cannot evaluate at that bar: no candles, or still in the warm-up."""


@dataclass(frozen=True)
class AgentSeries:
    """Per bar of the candles: action (HOLD/BUY/SELL; HOLD before the warm-up), confidence
    in [0, 1], P(up) (NaN without a model), and the signals' detail for the reasons."""

    index: pd.DatetimeIndex
    action: np.ndarray
    confidence: np.ndarray
    probability_up: np.ndarray
    warmup: int
    conditions: tuple[ConditionResult, ...]

    def __len__(self) -> int:
        return len(self.action)


@dataclass(frozen=True)
class Evaluation:
    """One agent's signal as of one bar: what the live API, the replay and the audit show."""

    action: str
    confidence: float
    confidence_source: str
    candle_time: pd.Timestamp  # the bar's open time
    market_time: pd.Timestamp  # the bar's close: the time the signal is decided at
    entry_price: float
    target_price: float
    stop_loss: float
    targets_from: str
    probability_up: float | None
    reasons: list[dict[str, Any]]
    indicators_used: list[str]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["candle_time"] = _iso(self.candle_time)
        out["market_time"] = _iso(self.market_time)
        return out


def _iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _distance(result: ConditionResult) -> np.ndarray:
    """How far each bar's left side is from the threshold, scaled like the strength."""
    cond = result.condition
    left, right = result.left, result.right
    spec = INDICATORS.get(cond.left.name) if cond.left.kind == "indicator" else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec is not None and spec.bounds is not None and cond.right.kind == "number":
            raw = np.abs(left - right) / (spec.bounds[1] - spec.bounds[0]) * 2
        else:
            raw = np.where(right != 0, np.abs(left - right) / (np.abs(right) * PRICE_SCALE), 1.0)
    raw = np.where(np.isfinite(left) & np.isfinite(right), raw, 1.0)
    return np.minimum(1.0, raw)


def _side_mean(results: list[ConditionResult], n: int, *, fired_only: bool) -> np.ndarray:
    """Mean strength of the firing conditions (or mean distance of all of them) per bar."""
    if not results:
        return np.zeros(n) if fired_only else np.full(n, 0.5)
    if fired_only:
        total = np.zeros(n)
        count = np.zeros(n)
        for r in results:
            total += np.where(r.fired, r.strength, 0.0)
            count += r.fired
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return np.mean([_distance(r) for r in results], axis=0)


def agent_series(
    strategy: Strategy,
    candles: pd.DataFrame,
    *,
    interval: str | None = None,
    probability_up: np.ndarray | None = None,
) -> AgentSeries:
    """The agent's action and confidence on every bar of the candles. ``probability_up``
    (one value per bar, NaN where the model has no features) switches the confidence to
    the model's."""
    n = len(candles)
    signals = compile_signals(strategy, candles, interval=interval)
    action = np.full(n, HOLD, np.int8)
    action[signals.entry] = BUY
    action[signals.exit] = SELL
    action[: min(signals.warmup, n)] = HOLD
    if probability_up is not None:
        p = np.asarray(probability_up, dtype="float64")
        if len(p) != n:
            raise ValueError("probability_up must have one value per candle")
        confidence = np.where(
            action == BUY, p, np.where(action == SELL, 1.0 - p, 1.0 - np.abs(2.0 * p - 1.0))
        )
    else:
        p = np.full(n, np.nan)
        entry = [r for r in signals.conditions if r.condition.side == "entry"]
        exit_ = [r for r in signals.conditions if r.condition.side == "exit"]
        confidence = np.where(
            action == BUY,
            _side_mean(entry, n, fired_only=True),
            np.where(
                action == SELL,
                _side_mean(exit_, n, fired_only=True),
                _side_mean(list(signals.conditions), n, fired_only=False),
            ),
        )
    confidence = np.clip(np.where(np.isfinite(confidence), confidence, 0.0), 0.0, 1.0)
    return AgentSeries(
        index=candles.index,
        action=action,
        confidence=confidence,
        probability_up=p,
        warmup=signals.warmup,
        conditions=signals.conditions,
    )


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def evaluate_at(
    strategy: Strategy,
    candles: pd.DataFrame,
    series: AgentSeries,
    i: int,
    *,
    interval_ms: int,
) -> Evaluation:
    """The evaluation of bar ``i`` (negative counts from the end), with its reasons and
    targets. Raises EvaluationError inside the warm-up or without a model value."""
    n = len(series)
    if n == 0:
        raise EvaluationError("no candles")
    i = i % n
    if series.warmup > i:
        raise EvaluationError(
            f"{i + 1} candles are too few for the strategy's indicators (warm-up {series.warmup})"
        )
    p = float(series.probability_up[i])
    has_model = not np.all(np.isnan(series.probability_up))
    if has_model and not math.isfinite(p):
        raise EvaluationError("not enough candles to compute the model's features at that bar")
    action = int(series.action[i])
    reasons = [
        {
            "condition": r.condition.label,
            "side": r.condition.side,
            "fired": bool(r.fired[i]),
            "value": _finite(r.left[i]),
            "threshold": _finite(r.right[i]),
            "strength": round(float(r.strength[i]), 4),
        }
        for r in series.conditions
    ]
    close = float(candles["close"].iloc[i])
    risk = strategy.risk
    direction = -1.0 if action == SELL else 1.0
    target = stop = None
    targets_from = "strategy_risk"
    if risk.take_profit_pct:
        target = close * (1 + direction * risk.take_profit_pct / 100)
    if risk.stop_loss_pct:
        stop = close * (1 - direction * risk.stop_loss_pct / 100)
    if target is None or stop is None:
        lo = max(0, i + 1 - (ATR_PERIOD * 10 + 1))
        window = candles.iloc[lo : i + 1]
        a = atr(window["high"], window["low"], window["close"], ATR_PERIOD)[-1]
        if not math.isfinite(a):
            raise EvaluationError(f"too few candles for ATR({ATR_PERIOD})")
        targets_from = "atr" if target is None and stop is None else "strategy_risk+atr"
        target = close + direction * 2 * a if target is None else target
        stop = close - direction * a if stop is None else stop
    opened = pd.Timestamp(candles.index[i])
    return Evaluation(
        action=ACTIONS[action],
        confidence=round(float(series.confidence[i]), 6),
        confidence_source="model" if has_model else "signal_strength",
        candle_time=opened,
        market_time=opened + pd.Timedelta(milliseconds=interval_ms),
        entry_price=close,
        target_price=round(target, 8),
        stop_loss=round(stop, 8),
        targets_from=targets_from,
        probability_up=None if not has_model else round(p, 6),
        reasons=reasons,
        indicators_used=strategy.indicators_used(),
    )
