"""Replay reads: a user's sessions, the candles a session may see as of its clock (open
times of the window, the bar closing at a time, the next candle, the last close), and
the session's live view (clock, status, decisions, fills, positions, equity curve)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Max, Min, QuerySet

from apps.marketdata.models import Candle
from apps.portfolio.models import Order, Position

from .models import ReplayAgent, ReplayCandidate, ReplaySession, ReplayStep


def replay_list(*, owner) -> QuerySet[ReplaySession]:
    return ReplaySession.objects.filter(owner=owner).select_related("portfolio")


def replay_get(*, owner, pk: int) -> ReplaySession | None:
    return replay_list(owner=owner).filter(pk=pk).first()


def replay_latest_live(*, owner) -> ReplaySession | None:
    """The user's newest session that is still ready, running or paused (else the newest)."""
    qs = replay_list(owner=owner)
    return qs.filter(status__in=["ready", "running", "paused"]).first() or qs.first()


def utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def to_ms(value) -> int:
    return int(utc(value).value // 1_000_000)


def from_ms(ms: int) -> datetime:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").to_pydatetime()


def _candles(symbol: str, interval: str) -> QuerySet[Candle]:
    return Candle.objects.filter(symbol__name=symbol, interval=interval)


def open_times_ms(
    *,
    symbol: str,
    interval: str,
    after: datetime | None,
    start: datetime,
    end: datetime,
    limit: int | None = None,
) -> np.ndarray:
    """Open times (epoch ms) of the series in [start, end], after ``after`` when given."""
    qs = _candles(symbol, interval).filter(open_time__gte=start, open_time__lte=end)
    if after is not None:
        qs = qs.filter(open_time__gt=after)
    qs = qs.order_by("open_time").values_list("open_time", flat=True)
    if limit is not None:
        qs = qs[:limit]
    return np.array([to_ms(t) for t in qs], dtype=np.int64)


def series_span(*, symbol: str, interval: str) -> tuple[datetime, datetime] | None:
    """The first and last open time of a series (None: no candles)."""
    span = _candles(symbol, interval).aggregate(first=Min("open_time"), last=Max("open_time"))
    return None if span["first"] is None else (span["first"], span["last"])


def next_candle(
    *, symbol: str, interval: str, after: datetime, end: datetime
) -> tuple[datetime, float] | None:
    """The first candle opening after ``after`` and at or before ``end``: (open time, open)."""
    row = (
        _candles(symbol, interval)
        .filter(open_time__gt=after, open_time__lte=end)
        .order_by("open_time")
        .values_list("open_time", "open")
        .first()
    )
    return (row[0], float(row[1])) if row else None


def last_close(*, symbol: str, interval: str, closed_by: datetime, step: timedelta) -> float | None:
    """The close of the last candle closed by ``closed_by`` (open + interval <= it)."""
    row = (
        _candles(symbol, interval)
        .filter(open_time__lte=closed_by - step)
        .order_by("-open_time")
        .values_list("close", flat=True)
        .first()
    )
    return float(row) if row is not None else None


def _iso(value) -> str | None:
    return None if value is None else utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def candidate_dict(c: ReplayCandidate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "market_time": _iso(c.market_time),
        "candle_time": _iso(c.candle_time),
        "agent_id": c.agent.agent_id,
        "agent": c.agent.name,
        "symbol": c.agent.symbol,
        "action": c.action,
        "confidence": c.confidence,
        "probability_up": c.probability_up,
        "win_rate": c.win_rate,
        "score": c.score,
        "rank": c.rank,
        "status": c.status_text,
        "taken": c.status == 0,
        "reasons": c.reasons,
        "fill": c.fill or None,
        "fill_text": c.get_fill_display() if c.fill else None,
        "fill_at": _iso(c.fill_at),
        "fill_note": c.fill_note,
        "order": c.order_id,
    }


def order_dict(o: Order) -> dict[str, Any]:
    return {
        "id": o.pk,
        "symbol": o.symbol,
        "action": o.action,
        "quantity": str(o.quantity),
        "price": str(o.price),
        "fee": str(o.fee),
        "cash_after": str(o.cash_after),
        "market_time": _iso(o.market_time),
        "decided_at": _iso(o.decided_at),
        "agent": o.agent.name if o.agent_id and o.agent else None,
    }


def session_positions(session: ReplaySession) -> list[dict[str, Any]]:
    """The session's open positions marked at their agents' last close as of the clock
    (never the newest candle in the database: that would be look-ahead)."""
    if session.portfolio_id is None:
        return []
    agents = {a.agent_id: a for a in session.agents.all()}
    out = []
    for p in Position.objects.filter(portfolio_id=session.portfolio_id).order_by("symbol"):
        ra = agents.get(p.agent_id)
        mark = None
        if ra is not None and session.clock is not None:
            mark = last_close(
                symbol=ra.symbol,
                interval=ra.interval,
                closed_by=session.clock,
                step=timedelta(milliseconds=_interval_ms(ra.interval)),
            )
        qty = float(p.quantity)
        out.append(
            {
                "symbol": p.symbol,
                "agent": ra.name if ra else None,
                "quantity": str(p.quantity),
                "avg_price": str(p.avg_price),
                "opened_at": _iso(p.opened_at),
                "mark": mark,
                "value": None if mark is None else qty * mark,
                "unrealized_pct": None
                if mark is None
                else (mark / float(p.avg_price) - 1.0) * 100.0,
            }
        )
    return out


def _interval_ms(interval: str) -> int:
    from engine.marketdata import interval_ms

    return interval_ms(interval)


def session_live(
    session: ReplaySession, *, since_seq: int = -1, decisions: int = 20
) -> dict[str, Any]:
    """What the session page polls: status and clock, the equity points after
    ``since_seq``, the latest decisions with reasons, the latest fills and the positions."""
    steps = list(
        ReplayStep.objects.filter(session=session, seq__gt=since_seq)
        .order_by("seq")
        .values("seq", "market_time", "equity", "cash")
    )
    cands = (
        ReplayCandidate.objects.filter(session=session)
        .select_related("agent")
        .order_by("-market_time", "-id")[:decisions]
    )
    orders = (
        Order.objects.filter(portfolio_id=session.portfolio_id)
        .select_related("agent")
        .order_by("-market_time", "-id")[:decisions]
        if session.portfolio_id
        else []
    )
    last = (
        ReplayStep.objects.filter(session=session).order_by("-seq").values("equity", "cash").first()
    )
    initial = float(session.params.get("initial_balance", 0.0)) or None
    equity = last["equity"] if last else initial
    return {
        "id": session.pk,
        "name": session.name,
        "status": session.status,
        "clock": _iso(session.clock),
        "start": _iso(session.start),
        "end": _iso(session.end),
        "steps_done": session.steps_done,
        "times_total": session.times_total,
        "progress": round(100.0 * session.steps_done / session.times_total, 2)
        if session.times_total
        else 0.0,
        "bars_per_step": session.bars_per_step,
        "step_seconds": session.step_seconds,
        "note": session.note,
        "equity": equity,
        "cash": last["cash"] if last else initial,
        "return_pct": None if not (equity and initial) else (equity / initial - 1.0) * 100.0,
        "curve": [
            {
                "seq": s["seq"],
                "time_epoch_s": to_ms(s["market_time"]) // 1000,
                "equity": s["equity"],
            }
            for s in steps
        ],
        "decisions": [candidate_dict(c) for c in cands],
        "fills": [order_dict(o) for o in orders],
        "positions": session_positions(session),
        "agents": [
            {"agent_id": a.agent_id, "name": a.name, "symbol": a.symbol, "interval": a.interval}
            for a in session.agents.all()
        ],
    }


def replay_agents(session: ReplaySession) -> list[ReplayAgent]:
    return list(
        session.agents.select_related("strategy_version", "model", "agent").order_by("agent_id")
    )
