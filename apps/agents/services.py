"""Agents: evaluate (alias predict) a strategy as of now, on the candles closed by now.

The evaluation is the desk core's (engine.desk: `agent_series` over the candles, then
`evaluate_at` on the last bar), the same function the replay and the desk backtest call,
so live, replay and backtest agree for the same candles. Confidence: the model's
probability for the action's direction when a usable model is attached, else the strength
of the firing conditions; targets from the strategy's risk settings, else ATR(14).

Market time (SPEC §7a): an evaluation is decided at the close of the last closed candle
(``market_time``); it is *fresh* while that close is within DESK_MAX_STALE_BARS intervals
of now, and says its age in bars and in words either way.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.jobs import JobStatus
from apps.core.validators import FieldErrors, name_clean
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import symbol_name_clean
from apps.ml.models import TrainedModel
from apps.ml.services import model_load
from apps.portfolio.selectors import market_staleness
from engine.desk import EvaluationError, agent_series, evaluate_at
from engine.marketdata import interval_ms
from engine.ml import LOOKBACK as ML_LOOKBACK
from engine.ml import ModelIntegrityError, predict_proba_up_series
from engine.strategy import Strategy, parse_strategy, required_lookback

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
    candle_time: str  # open time of the last closed candle
    market_time: str  # its close: the market time the signal is decided at
    fresh: bool
    age: str
    age_bars: int
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

    @property
    def market_datetime(self) -> datetime:
        return datetime.fromisoformat(self.market_time.replace("Z", "+00:00"))


def agent_candles(agent: Agent, *, now: datetime, strategy: Strategy | None = None) -> pd.DataFrame:
    """The candles an evaluation as of ``now`` reads: the latest few hundred of the agent's
    symbol and interval that closed by then (a candle opened at t closes at t + interval),
    enough for the strategy's indicators and the model's features to settle. ``strategy``:
    the agent's, already parsed."""
    strategy = strategy or parse_strategy(agent.strategy_version.normalized)
    need = max(MIN_CANDLES, required_lookback(strategy, agent.interval) * 3 + 50, ML_LOOKBACK * 4)
    return candles_frame(
        symbol=agent.symbol,
        interval=agent.interval,
        end=now - timedelta(milliseconds=interval_ms(agent.interval)),
        last=need,
    )


def agent_evaluate(agent: Agent, *, store: bool = False, now: datetime | None = None) -> Evaluation:
    """The agent's signal as of ``now`` (default: the current time), from the candles closed
    by then; ``store`` keeps it as a Signal."""
    now = now or timezone.now()
    strategy = parse_strategy(agent.strategy_version.normalized)
    step = interval_ms(agent.interval)
    candles = agent_candles(agent, now=now, strategy=strategy)
    if candles.empty:
        raise AgentDataError(f"no {agent.interval} candles of {agent.symbol}")
    probability_up = None
    if agent.model_id:
        model = agent.model
        try:
            probability_up = predict_proba_up_series(model_load(model), candles)
        except (ModelIntegrityError, ValidationError, ValueError) as exc:
            raise AgentDataError(f"model #{model.pk} is unusable: {exc}") from None
        if not math.isfinite(probability_up[-1]):
            raise AgentDataError(
                f"{len(candles)} candles are too few to compute model #{model.pk}'s features"
            )
    try:
        series = agent_series(
            strategy, candles, interval=agent.interval, probability_up=probability_up
        )
        ev = evaluate_at(strategy, candles, series, -1, interval_ms=step)
    except EvaluationError as exc:
        raise AgentDataError(str(exc)) from None
    market_time = ev.market_time.to_pydatetime()
    age = market_staleness(market_time, agent.interval, now=now)
    # the core's fields as they are, plus who the agent is and how old its candle is
    evaluation = Evaluation(
        **ev.to_dict(),
        agent_id=agent.pk,
        agent_name=agent.name,
        symbol=agent.symbol,
        interval=agent.interval,
        fresh=age.fresh,
        age=age.age,
        age_bars=age.age_bars,
        strategy_name=agent.strategy.name,
        strategy_version=agent.strategy_version.number,
        model_id=agent.model_id,
    )
    if store:
        Signal.objects.create(
            agent=agent,
            symbol=agent.symbol,
            action=ev.action,
            confidence=ev.confidence,
            confidence_source=ev.confidence_source,
            candle_time=ev.candle_time.to_pydatetime(),
            market_time=market_time,
            entry_price=ev.entry_price,
            target_price=ev.target_price,
            stop_loss=ev.stop_loss,
            targets_from=ev.targets_from,
            probability_up=ev.probability_up,
            reasons=ev.reasons,
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
    errors = FieldErrors()  # every field's problem at once
    with errors.check():
        symbol = symbol_name_clean(symbol)
    with errors.check():
        name_clean(name)
    if strategy.owner_id != owner.pk:
        errors.add("strategy", "no such strategy")
    if model is not None:
        if model.owner_id != owner.pk:
            errors.add("model", "no such model")
        elif "symbol" not in errors and model.symbol != symbol:
            errors.add("model", f"the model was trained on {model.symbol}, not {symbol}")
        elif model.status != JobStatus.SUCCEEDED:
            errors.add("model", "the model has not finished training")
    errors.raise_if_any()
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
            "market_time": None,
            "fresh": None,
            "age": None,
            "age_bars": None,
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
