"""Mother AI: rank every enabled agent's signal by confidence x track record, keep the best.

The rules are the desk core's (engine.desk.rules, the same functions the replay and the
desk backtest run): score = alpha x confidence + beta x win_rate (alpha 0.6, beta 0.4 by
default), the win rate being the agent's closed paper trades' win rate *shrunk toward
0.5*: (w + 0.5 k) / (n + k) with k = ``prior_trades`` (10), so an agent with no record
scores 0.5 and one lucky trade moves it to 0.545, not 1.0.

As of now (SPEC §7a Live), against the portfolio's positions (long only):
- a signal whose candle closed more than DESK_MAX_STALE_BARS intervals ago is skipped as
  stale data, with its last candle and age;
- only executable actions are candidates: a buy of a symbol the portfolio already holds
  and a sell without a position are skipped, saying why;
- the executable candidates are ranked by score (ties by agent id ascending) and, walking
  that order, those with score >= min_score are taken until top_n, one action per symbol.
Every candidate is kept with its numbers, its market time and why it was taken or skipped.
``decision_make(store=False)`` is a preview that stores nothing (no decision, no signals).
A stored decision can be executed in the paper portfolio: buys buy, sells close the
position; each order is linked to the decision and carries an idempotency key, so
executing twice places nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.agents.selectors import agent_list
from apps.agents.services import AgentDataError, agent_evaluate
from apps.core import formatting as fmt
from apps.marketdata.selectors import price_precision
from apps.portfolio.models import Order, Portfolio, Position
from apps.portfolio.selectors import agent_track_records
from apps.portfolio.services import order_place, portfolio_get_or_create_default
from engine.desk.rules import (
    ACTIONS,
    ALREADY_HELD,
    BELOW_MIN_SCORE,
    BEYOND_TOP_N,
    NOT_HELD,
    STALE,
    STATUS_TEXT,
    TAKEN,
    desk_score,
    executable,
    rank_take,
    shrunk_win_rate,
)

from .models import Decision, Schedule

logger = logging.getLogger(__name__)

__all__ = ["Weights", "decision_execute", "decision_make", "schedule_run", "shrunk_win_rate"]

HOLD_REASON = "skipped: the agent says hold"


@dataclass(frozen=True)
class Weights:
    alpha: float = 0.6
    beta: float = 0.4
    prior_trades: int = 10


def _check(top_n: int, min_score: float, alpha: float, beta: float) -> None:
    errors = {}
    if isinstance(top_n, bool) or not isinstance(top_n, int) or not 1 <= top_n <= 50:
        errors["top_n"] = ["must be a whole number from 1 to 50"]
    if not 0.0 <= float(min_score) <= 1.0:
        errors["min_score"] = ["must be between 0 and 1"]
    if not 0 <= alpha <= 1 or not 0 <= beta <= 1 or abs(alpha + beta - 1.0) > 1e-9:
        errors["alpha"] = ["alpha and beta must be in [0, 1] and add up to 1"]
    if errors:
        raise ValidationError(errors)


def _reason(c: dict, status: int, *, top_n: int, min_score: float, weights: Weights) -> str:
    """Why a ranked candidate was taken or skipped, in words."""
    if status == TAKEN:
        return (
            f"taken: rank {c['rank']}, score {c['score']:.3f} = {weights.alpha} x confidence "
            f"{c['confidence']:.3f} + {weights.beta} x win rate {c['win_rate']:.3f}"
        )
    if status == BELOW_MIN_SCORE:
        return f"skipped: {STATUS_TEXT[status]} (score {c['score']:.3f} < {min_score:.3f})"
    if status == BEYOND_TOP_N:
        return f"skipped: {STATUS_TEXT[status]} (rank {c['rank']} > top_n {top_n})"
    return f"skipped: {STATUS_TEXT[status]}"


def _held_by(portfolio: Portfolio) -> dict[str, int]:
    """{symbol: the agent id whose buy opened the position} for the portfolio's positions;
    a position no agent opened (a manual buy) maps to None: the symbol's agent may close it
    (a user has one agent per symbol)."""
    return dict(Position.objects.filter(portfolio=portfolio).values_list("symbol", "agent_id"))


def decision_make(
    *,
    owner,
    top_n: int = 3,
    min_score: float = 0.75,
    weights: Weights = Weights(),
    trigger: str = "api",
    store: bool = True,
    store_signals: bool = True,
    portfolio: Portfolio | None = None,
    now: datetime | None = None,
) -> Decision:
    """Decide as of ``now`` for the owner's enabled agents against ``portfolio`` (default:
    the owner's default portfolio). With ``store=False`` nothing is written: the Decision
    returned is unsaved (a preview) and no signals are kept."""
    _check(top_n, min_score, weights.alpha, weights.beta)
    if portfolio is not None and portfolio.owner_id != owner.pk:
        raise ValidationError({"portfolio": ["no such portfolio"]})
    now = now or timezone.now()
    if portfolio is None:
        portfolio = (
            portfolio_get_or_create_default(owner=owner)
            if store
            else Portfolio.objects.filter(owner=owner, is_default=True).first()
        )
    held = _held_by(portfolio) if portfolio is not None else {}
    agents = list(agent_list(owner=owner, enabled_only=True))
    records = agent_track_records([a.pk for a in agents])
    candidates: list[dict] = []
    ranked: list[dict] = []  # the executable ones, in the core's arrays' order
    newest = None
    for agent in agents:
        trades, wins = records[agent.pk]
        win_rate = float(shrunk_win_rate(wins, trades, weights.prior_trades))
        c = {
            "agent_id": agent.pk,
            "agent": agent.name,
            "symbol": agent.symbol,
            "strategy": agent.strategy.name,
            "trades": trades,
            "wins": wins,
            "raw_win_rate": round(wins / trades, 4) if trades else None,
            "win_rate": round(win_rate, 4),
            "action": None,
            "confidence": None,
            "score": None,
            "rank": None,
            "taken": False,
            "status": None,
            "reason": "",
            "market_time": None,
            "fresh": None,
            "age": None,
        }
        candidates.append(c)
        try:
            ev = agent_evaluate(agent, store=store and store_signals, now=now)
        except AgentDataError as exc:
            c["reason"] = f"skipped: {exc}"
            continue
        score = float(desk_score(ev.confidence, win_rate, weights.alpha, weights.beta))
        c.update(
            {
                "action": ev.action,
                "confidence": round(ev.confidence, 4),
                "confidence_source": ev.confidence_source,
                "price": ev.entry_price,
                "target_price": ev.target_price,
                "stop_loss": ev.stop_loss,
                "candle_time": ev.candle_time,
                "market_time": ev.market_time,
                "fresh": ev.fresh,
                "age": ev.age,
                "age_bars": ev.age_bars,
                "indicators_used": ev.indicators_used,
                "fired": [r["condition"] for r in ev.reasons if r["fired"]],
                "score": round(score, 4),
            }
        )
        newest = max(newest or ev.market_datetime, ev.market_datetime)
        if ev.action == "hold":
            c["reason"] = HOLD_REASON
            continue
        if not ev.fresh:
            c["status"] = STALE
            c["reason"] = (
                f"skipped: {STATUS_TEXT[STALE]} (last candle {ev.market_datetime:%Y-%m-%d %H:%M} "
                f"UTC, {ev.age} old)"
            )
            continue
        owner_agent = held.get(agent.symbol, -1)
        if owner_agent is None:
            owner_agent = agent.pk  # a position no agent opened: the symbol's agent may sell it
        status = int(executable(ACTIONS.index(ev.action), agent.pk, owner_agent, False))
        if status != TAKEN:
            c["status"] = status
            c["reason"] = f"skipped: {STATUS_TEXT[status]}"
            continue
        c["_score"] = score
        ranked.append(c)
    if ranked:
        status = np.full(len(ranked), TAKEN, np.int64)
        symbols = sorted({c["symbol"] for c in ranked})
        ranks = rank_take(
            np.array([c.pop("_score") for c in ranked], np.float64),
            np.array([c["agent_id"] for c in ranked], np.int64),
            np.array([symbols.index(c["symbol"]) for c in ranked], np.int64),
            status,
            top_n,
            float(min_score),
        )
        for c, st, rank in zip(ranked, status, ranks, strict=True):
            c["rank"] = int(rank)
            c["status"] = int(st)
            c["taken"] = bool(st == TAKEN)
            c["reason"] = _reason(c, int(st), top_n=top_n, min_score=min_score, weights=weights)
    candidates.sort(key=lambda c: (c["rank"] is None, c["rank"] or 0, c["agent_id"]))
    decision = Decision(
        owner=owner,
        portfolio=portfolio,
        market_time=newest,
        alpha=weights.alpha,
        beta=weights.beta,
        prior_trades=weights.prior_trades,
        top_n=top_n,
        min_score=min_score,
        candidates=candidates,
        chosen=sum(c["taken"] for c in candidates),
        trigger=trigger,
    )
    if store:
        decision.save()
    else:
        decision.created_at = now
    return decision


def _still_executable(c: dict, held: dict[str, int]) -> str | None:
    """Why a taken action cannot be placed now (the portfolio's positions ``held``, from
    `_held_by`, changed since the decision), or None when it can. At most one action per
    symbol is taken, so the orders placed before it in the same execution do not matter."""
    held = c["symbol"] in held
    if c["action"] == "sell" and not held:
        return STATUS_TEXT[NOT_HELD]
    if c["action"] == "buy" and held:
        return STATUS_TEXT[ALREADY_HELD]
    return None


def decision_execute(*, decision: Decision, portfolio: Portfolio | None = None) -> Decision:
    """Place the chosen orders in the decision's portfolio (else the owner's default), once.
    An action the portfolio can no longer take (its position changed since) is not placed
    and says why; a second execution replays the orders first placed."""
    from apps.agents.models import Agent

    portfolio = (
        portfolio or decision.portfolio or portfolio_get_or_create_default(owner=decision.owner)
    )
    candidates = list(decision.candidates)
    prefix = f"motherai-{decision.pk}-"
    placed = set(
        Order.objects.filter(portfolio=portfolio, idempotency_key__startswith=prefix).values_list(
            "idempotency_key", flat=True
        )
    )
    held = _held_by(portfolio)
    for c in candidates:
        if not c.get("taken"):
            continue
        key = f"{prefix}{c['agent_id']}"
        why_not = None if key in placed else _still_executable(c, held)
        if why_not is not None:
            c["order"] = None
            c["execution"] = f"not placed: {why_not}"
            continue
        agent = Agent.objects.filter(pk=c["agent_id"], owner=decision.owner).first()
        decided_at = c.get("market_time")
        try:
            order, created = order_place(
                owner=decision.owner,
                portfolio=portfolio,
                symbol=c["symbol"],
                action=c["action"],
                confidence=c["confidence"],
                source="motherai",
                idempotency_key=key,
                strategy_name=c["strategy"],
                indicators_used=c.get("indicators_used", []),
                agent=agent,
                decision=decision,
                notes=c["reason"][:500],
                decided_at=datetime.fromisoformat(decided_at) if decided_at else None,
            )
            c["order"] = order.pk
            # Read as a person would: "buy 0.01663112 at 60,123.45", not "at 60123.45000000".
            price = fmt.price(order.price, price_precision(order.symbol))
            c["execution"] = f"{order.action} {fmt.qty(order.quantity)} at {price}" + (
                "" if created else " (already placed)"
            )
        except ValidationError as exc:
            c["order"] = None
            c["execution"] = "; ".join(m for msgs in exc.message_dict.values() for m in msgs)
    with transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(
            candidates=candidates, executed=True, executed_at=timezone.now()
        )
    decision.refresh_from_db()
    return decision


def schedule_run(*, schedule_id: int) -> Decision | None:
    """Run one schedule that beat claimed (apps/core/schedules.py); None if it was deleted
    or turned off since."""
    schedule = Schedule.objects.select_related("owner").filter(pk=schedule_id, enabled=True)
    schedule = schedule.first()
    if schedule is None:
        return None
    decision = decision_make(
        owner=schedule.owner, top_n=schedule.top_n, min_score=schedule.min_score, trigger="schedule"
    )
    if schedule.execute and decision.chosen:
        decision = decision_execute(decision=decision)
    return decision
