"""Agents: evaluate (alias predict) a strategy on the latest candles, with real confidence.

The action comes from the strategy's signal on the last closed candle. Confidence:
- with a usable model attached: the model's probability for the action's direction
  (buy: P(up), sell: P(down)); for a hold, how undecided the model is, 1 - |2P(up) - 1|;
- without a model: the strength of the firing conditions (engine.strategy: how far past
  its threshold each is), averaged; for a hold, the average distance of all conditions
  from firing, so a market far from any signal gives a confident hold.
Never a constant. Targets come from the strategy's risk settings, else 2 x ATR(14) for
the target and 1 x ATR(14) for the stop; the response says which.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core.jobs import JobStatus
from apps.core.validators import name_clean
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import symbol_name_clean
from apps.ml.models import TrainedModel
from apps.ml.services import model_load
from engine.indicators import INDICATORS, atr
from engine.ml import LOOKBACK as ML_LOOKBACK
from engine.ml import ModelIntegrityError, predict_proba_up
from engine.strategy import compile_signals, parse_strategy, required_lookback

from .models import Agent, Signal

logger = logging.getLogger(__name__)

MIN_CANDLES = 300


class AgentDataError(Exception):
    """The agent cannot evaluate: no candles, too few, or its model is unusable."""


@dataclass
class Evaluation:
    agent_id: int
    agent_name: str
    symbol: str
    interval: str
    action: str
    confidence: float
    confidence_source: str
    candle_time: str
    entry_price: float
    target_price: float
    stop_loss: float
    targets_from: str
    probability_up: float | None
    reasons: list[dict[str, Any]]
    strategy_name: str
    strategy_version: int
    indicators_used: list[str]
    model_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _distance(result, i: int) -> float:
    """How far condition i's left side is from its threshold, scaled like the strength."""
    cond = result.condition
    left, right = result.left[i], result.right[i]
    if not (math.isfinite(left) and math.isfinite(right)):
        return 1.0
    spec = INDICATORS.get(cond.left.name) if cond.left.kind == "indicator" else None
    if spec is not None and spec.bounds is not None and cond.right.kind == "number":
        return min(1.0, abs(left - right) / (spec.bounds[1] - spec.bounds[0]) * 2)
    return min(1.0, abs(left - right) / (abs(right) * 0.02)) if right else 1.0


def agent_evaluate(agent: Agent, *, store: bool = False) -> Evaluation:
    strategy = parse_strategy(agent.strategy_version.normalized)
    need = max(MIN_CANDLES, required_lookback(strategy, agent.interval) * 3 + 50, ML_LOOKBACK * 4)
    candles = candles_frame(symbol=agent.symbol, interval=agent.interval, last=need)
    if candles.empty:
        raise AgentDataError(f"no {agent.interval} candles of {agent.symbol}")
    signals = compile_signals(strategy, candles, interval=agent.interval)
    i = len(candles) - 1
    if signals.warmup > i:
        raise AgentDataError(f"{len(candles)} candles are too few for the strategy's indicators")
    action = "buy" if signals.entry[i] else "sell" if signals.exit[i] else "hold"
    reasons = [
        {
            "condition": r.condition.label,
            "side": r.condition.side,
            "fired": bool(r.fired[i]),
            "value": _finite(r.left[i]),
            "threshold": _finite(r.right[i]),
            "strength": round(float(r.strength[i]), 4),
        }
        for r in signals.conditions
    ]
    probability_up = None
    if agent.model_id:
        model = agent.model
        try:
            estimator = model_load(model)
            probability_up, _ = predict_proba_up(estimator, candles)
        except (ModelIntegrityError, ValidationError, ValueError) as exc:
            raise AgentDataError(f"model #{model.pk} is unusable: {exc}") from None
    if probability_up is not None:
        source = "model"
        if action == "buy":
            confidence = probability_up
        elif action == "sell":
            confidence = 1.0 - probability_up
        else:
            confidence = 1.0 - abs(2.0 * probability_up - 1.0)
    else:
        source = "signal_strength"
        side = "entry" if action == "buy" else "exit"
        if action == "hold":
            dists = [_distance(r, i) for r in signals.conditions]
            confidence = float(np.mean(dists)) if dists else 0.5
        else:
            firing = [
                float(r.strength[i])
                for r in signals.conditions
                if r.condition.side == side and r.fired[i]
            ]
            confidence = float(np.mean(firing)) if firing else 0.0
    confidence = float(min(1.0, max(0.0, confidence)))

    close = float(candles["close"].iloc[-1])
    risk = strategy.risk
    direction = -1.0 if action == "sell" else 1.0
    if risk.take_profit_pct and risk.stop_loss_pct:
        target = close * (1 + direction * risk.take_profit_pct / 100)
        stop = close * (1 - direction * risk.stop_loss_pct / 100)
        targets_from = "strategy_risk"
    else:
        a = atr(candles["high"], candles["low"], candles["close"], 14)[-1]
        if not math.isfinite(a):
            raise AgentDataError("too few candles for ATR(14)")
        target = close + direction * 2 * a
        stop = close - direction * a
        targets_from = "atr"
        if risk.take_profit_pct:
            target, targets_from = (
                close * (1 + direction * risk.take_profit_pct / 100),
                "strategy_risk+atr",
            )
        if risk.stop_loss_pct:
            stop, targets_from = (
                close * (1 - direction * risk.stop_loss_pct / 100),
                "strategy_risk+atr",
            )
    evaluation = Evaluation(
        agent_id=agent.pk,
        agent_name=agent.name,
        symbol=agent.symbol,
        interval=agent.interval,
        action=action,
        confidence=round(confidence, 6),
        confidence_source=source,
        candle_time=pd.Timestamp(candles.index[-1]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        entry_price=close,
        target_price=round(target, 8),
        stop_loss=round(stop, 8),
        targets_from=targets_from,
        probability_up=None if probability_up is None else round(probability_up, 6),
        reasons=reasons,
        strategy_name=agent.strategy.name,
        strategy_version=agent.strategy_version.number,
        indicators_used=strategy.indicators_used(),
        model_id=agent.model_id,
    )
    if store:
        Signal.objects.create(
            agent=agent,
            symbol=agent.symbol,
            action=action,
            confidence=evaluation.confidence,
            confidence_source=source,
            candle_time=candles.index[-1].to_pydatetime(),
            entry_price=close,
            target_price=evaluation.target_price,
            stop_loss=evaluation.stop_loss,
            targets_from=targets_from,
            probability_up=evaluation.probability_up,
            reasons=reasons,
        )
    return evaluation


def agent_create(
    *,
    owner,
    symbol: str,
    strategy,
    name: str = "",
    model: TrainedModel | None = None,
    interval: str | None = None,
    enabled: bool = True,
) -> Agent:
    symbol = symbol_name_clean(symbol)
    name_clean(name)
    if strategy.owner_id != owner.pk:
        raise ValidationError({"strategy": ["no such strategy"]})
    if model is not None:
        if model.owner_id != owner.pk:
            raise ValidationError({"model": ["no such model"]})
        if model.symbol != symbol:
            raise ValidationError(
                {"model": [f"the model was trained on {model.symbol}, not {symbol}"]}
            )
        if model.status != JobStatus.SUCCEEDED:
            raise ValidationError({"model": ["the model has not finished training"]})
    try:
        with transaction.atomic():
            return Agent.objects.create(
                owner=owner,
                symbol=symbol,
                name=name or f"{symbol}Agent",
                strategy=strategy,
                strategy_version=strategy.current_version,
                model=model,
                interval=interval or strategy.timeframe,
                enabled=enabled,
            )
    except IntegrityError:
        raise ValidationError({"symbol": [f"you already have an agent for {symbol}"]}) from None


def agent_set_enabled(*, agent: Agent, enabled: bool) -> Agent:
    Agent.objects.filter(pk=agent.pk).update(enabled=enabled)
    agent.enabled = enabled
    return agent


def prediction_item(agent: Agent) -> dict[str, Any]:
    """One item of /api/agents/predictions/: the original frontend fields plus the rest, or an
    explicit error item when the agent cannot evaluate (never a fake prediction)."""
    try:
        ev = agent_evaluate(agent)
    except AgentDataError as exc:
        return {
            "agentName": agent.name,
            "symbol": agent.symbol,
            "prediction": None,
            "confidence": None,
            "entryPrice": None,
            "targetPrice": None,
            "stopLoss": None,
            "error": str(exc),
            "agent_id": agent.pk,
        }
    return {
        "agentName": agent.name,
        "symbol": agent.symbol,
        "prediction": ev.action,
        "confidence": round(ev.confidence * 100, 2),
        "entryPrice": ev.entry_price,
        "targetPrice": ev.target_price,
        "stopLoss": ev.stop_loss,
        "error": None,
        **{k: v for k, v in ev.to_dict().items() if k not in ("agent_name", "confidence")},
    }
