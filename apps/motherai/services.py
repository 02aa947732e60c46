"""Mother AI: rank every enabled agent's signal by confidence x track record, keep the best.

score = alpha x confidence + beta x win_rate (alpha 0.6, beta 0.4 by default).

The win rate is the agent's closed paper trades' win rate *shrunk toward 0.5*: with w
wins in n trades and k pseudo-trades at 50% (``prior_trades``, default 10),
win_rate = (w + 0.5 k) / (n + k). An agent with no record scores 0.5; one lucky trade
moves it to 0.545, not 1.0; after hundreds of trades the record speaks for itself.

``decide(top_n, min_score)`` keeps the top N non-hold signals with score >= min_score
and stores every candidate with its numbers and the reason it was taken or skipped. A
decision can be executed in the paper portfolio: buys buy, sells close an open
position; each order is linked to the decision and carries an idempotency key, so
executing twice places nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.agents.selectors import agent_list
from apps.agents.services import AgentDataError, agent_evaluate
from apps.portfolio.models import Position
from apps.portfolio.selectors import agent_track_records
from apps.portfolio.services import order_place, portfolio_get_or_create_default

from .models import Decision, Schedule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Weights:
    alpha: float = 0.6
    beta: float = 0.4
    prior_trades: int = 10


def shrunk_win_rate(wins: int, trades: int, prior_trades: int) -> float:
    return (wins + 0.5 * prior_trades) / (trades + prior_trades) if trades + prior_trades else 0.5


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


def decision_make(
    *,
    owner,
    top_n: int = 3,
    min_score: float = 0.75,
    weights: Weights = Weights(),
    trigger: str = "api",
    store_signals: bool = True,
) -> Decision:
    _check(top_n, min_score, weights.alpha, weights.beta)
    candidates = []
    agents = list(agent_list(owner=owner, enabled_only=True))
    records = agent_track_records([a.pk for a in agents])
    for agent in agents:
        trades, wins = records[agent.pk]
        win_rate = shrunk_win_rate(wins, trades, weights.prior_trades)
        base = {
            "agent_id": agent.pk,
            "agent": agent.name,
            "symbol": agent.symbol,
            "strategy": agent.strategy.name,
            "trades": trades,
            "wins": wins,
            "raw_win_rate": round(wins / trades, 4) if trades else None,
            "win_rate": round(win_rate, 4),
        }
        try:
            ev = agent_evaluate(agent, store=store_signals)
        except AgentDataError as exc:
            candidates.append(
                {
                    **base,
                    "action": None,
                    "confidence": None,
                    "score": None,
                    "rank": None,
                    "taken": False,
                    "reason": f"skipped: {exc}",
                }
            )
            continue
        score = weights.alpha * ev.confidence + weights.beta * win_rate
        candidates.append(
            {
                **base,
                "action": ev.action,
                "confidence": round(ev.confidence, 4),
                "confidence_source": ev.confidence_source,
                "price": ev.entry_price,
                "target_price": ev.target_price,
                "stop_loss": ev.stop_loss,
                "candle_time": ev.candle_time,
                "indicators_used": ev.indicators_used,
                "fired": [r["condition"] for r in ev.reasons if r["fired"]],
                "score": round(score, 4),
                "rank": None,
                "taken": False,
                "reason": "",
            }
        )
    ranked = sorted(
        (c for c in candidates if c["action"] in ("buy", "sell")), key=lambda c: -c["score"]
    )
    for rank, c in enumerate(ranked, start=1):
        c["rank"] = rank
        if c["score"] < min_score:
            c["reason"] = f"skipped: score {c['score']:.3f} is below min_score {min_score:.3f}"
        elif rank > top_n:
            c["reason"] = f"skipped: rank {rank} is beyond top_n {top_n}"
        else:
            c["taken"] = True
            c["reason"] = (
                f"taken: rank {rank}, score {c['score']:.3f} = {weights.alpha} x confidence {c['confidence']:.3f} "
                f"+ {weights.beta} x win rate {c['win_rate']:.3f}"
            )
    for c in candidates:
        if c["action"] == "hold":
            c["reason"] = "skipped: the agent says hold"
    candidates.sort(key=lambda c: (c["rank"] is None, c["rank"] or 0))
    return Decision.objects.create(
        owner=owner,
        alpha=weights.alpha,
        beta=weights.beta,
        prior_trades=weights.prior_trades,
        top_n=top_n,
        min_score=min_score,
        candidates=candidates,
        chosen=sum(c["taken"] for c in candidates),
        trigger=trigger,
    )


def decision_execute(*, decision: Decision, portfolio=None) -> Decision:
    """Place the chosen orders in the (default) paper portfolio, once."""
    from apps.agents.models import Agent

    portfolio = portfolio or portfolio_get_or_create_default(owner=decision.owner)
    candidates = list(decision.candidates)
    for c in candidates:
        if not c.get("taken"):
            continue
        agent = Agent.objects.filter(pk=c["agent_id"], owner=decision.owner).first()
        if (
            c["action"] == "sell"
            and not Position.objects.filter(portfolio=portfolio, symbol=c["symbol"]).exists()
        ):
            c["order"] = None
            c["execution"] = "nothing to sell: no open position"
            continue
        try:
            order, created = order_place(
                owner=decision.owner,
                portfolio=portfolio,
                symbol=c["symbol"],
                action=c["action"],
                confidence=c["confidence"],
                source="motherai",
                idempotency_key=f"motherai-{decision.pk}-{c['agent_id']}",
                strategy_name=c["strategy"],
                indicators_used=c.get("indicators_used", []),
                agent=agent,
                decision=decision,
                notes=c["reason"][:500],
            )
            c["order"] = order.pk
            c["execution"] = f"{order.action} {order.quantity} at {order.price}" + (
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
