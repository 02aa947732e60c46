"""Replay sessions (SPEC §7a "Replay"): create one (checked like a desk backtest), control
it (start, pause, resume, step once, stop), advance its market clock, and the tick that
advances every running session when its step interval has passed.

A step processes ``bars_per_step`` decision times (the agents' close times in the window)
in one transaction that holds the session row's lock; at each decision time T, exactly as
the desk backtest's loop (engine/desk/backtest.py) and with the same rules
(engine/desk/step.py, engine/desk/rules.py):
1. the session's waiting orders whose fill candle opened before T fill (sells first, then
   buys by decision time and take order), through `apps.portfolio.services.order_place`
   at the fill candle's open x (1 +- slippage), as of that candle's open;
2. the agents with a candle closing at T evaluate on their candles up to T (from the
   series' start: the indicators equal the backtest's); their buys and sells are scored
   and ranked (`desk_decide`) with the session's own positions, waiting orders and closed
   round trips (exit filled before T); a taken action waits for the agent's next candle
   (none before the window's end: no fill, and the record says so);
3. the orders whose fill candle opens at T fill;
4. the equity is cash plus the positions at their agents' last close as of T.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.agents.models import Agent
from apps.core.validators import name_clean
from apps.marketdata.selectors import candles_frame
from apps.ml.services import model_load
from apps.motherai.deskparams import REPLAY_PARAMS, desk_model_problem
from apps.portfolio.models import Portfolio, Position, Source, TradeLog
from apps.portfolio.services import order_place, portfolio_create
from engine.desk import ACTIONS, BUY, HOLD, TAKEN, DeskConfigError, DeskParams
from engine.desk.evaluate import EvaluationError, agent_series, evaluate_at
from engine.desk.rules import desk_score, round_trip_won, shrunk_win_rate
from engine.desk.step import (
    Candidate,
    decision_times,
    desk_decide,
    desk_equity,
    fill_price,
    fill_sequence,
    probability_up_last,
)
from engine.marketdata import interval_ms
from engine.ml import predict_proba_up_series
from engine.strategy import parse_strategy

from .models import ReplayAgent, ReplayCandidate, ReplaySession, ReplayStep
from .selectors import (
    from_ms,
    last_close,
    next_candle,
    open_times_ms,
    replay_agents,
    series_span,
    to_ms,
    utc,
)

logger = logging.getLogger(__name__)

# The session's own settings (the desk's parameters are engine.desk.DeskParams').
BARS_PER_STEP = (1, 500)
STEP_SECONDS = (0.5, 3600.0)
DESK_FIELDS = REPLAY_PARAMS
EIGHT = Decimal("0.00000001")


# ---- creating a session -------------------------------------------------------------


def replay_params_clean(params: dict[str, Any] | None) -> DeskParams:
    """The desk's parameters from ``params`` (defaults for the rest), checked by the
    engine's bounds; a ValidationError names the field."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(DESK_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: ["not a replay parameter"]})
    try:
        p = DeskParams(**params, seeds=0)
        p.validate()
    except DeskConfigError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    except TypeError as exc:
        raise ValidationError({"params": [str(exc)]}) from None
    # The session's portfolio stores these exactly: say so rather than round them.
    for name, places in (("buy_fraction", 4), ("fee_rate", 6), ("initial_balance", 8)):
        d = Decimal(repr(float(getattr(p, name))))
        if d != d.quantize(Decimal(1).scaleb(-places)):
            raise ValidationError({name: [f"must have at most {places} decimal places"]})
    return p


def _window_times(agents: list[Agent], start: datetime, end: datetime) -> np.ndarray:
    opens = [
        open_times_ms(symbol=a.symbol, interval=a.interval, after=None, start=start, end=end)
        for a in agents
    ]
    return decision_times(opens, [interval_ms(a.interval) for a in agents], start=start, end=end)


def replay_create(
    *,
    owner,
    name: str,
    agent_ids: list[int],
    start: datetime,
    end: datetime,
    bars_per_step: int = 1,
    step_seconds: float = 2.0,
    params: dict[str, Any] | None = None,
) -> ReplaySession:
    """A new session (status ready) with its own paper portfolio. ValidationError names
    the field: ``agents`` (none, not yours, a model trained on the window), ``start`` (no
    candles in the window), ``end`` (not after start), a desk parameter."""
    name = (name or "").strip() or "Replay"
    name_clean(name)
    desk = replay_params_clean(params)
    if (
        isinstance(bars_per_step, bool)
        or not BARS_PER_STEP[0] <= int(bars_per_step) <= BARS_PER_STEP[1]
    ):
        raise ValidationError({"bars_per_step": ["must be a whole number from 1 to 500"]})
    if not (isinstance(step_seconds, int | float) and math.isfinite(step_seconds)) or not (
        STEP_SECONDS[0] <= float(step_seconds) <= STEP_SECONDS[1]
    ):
        raise ValidationError({"step_seconds": ["must be between 0.5 and 3600 seconds"]})
    ids = sorted({int(i) for i in agent_ids or []})
    if not ids:
        raise ValidationError({"agents": ["choose at least one agent"]})
    agents = list(
        Agent.objects.filter(owner=owner, pk__in=ids).select_related("strategy_version", "model")
    )
    if len(agents) != len(ids):
        missing = sorted(set(ids) - {a.pk for a in agents})
        raise ValidationError({"agents": [f"no such agent: {', '.join(map(str, missing))}"]})
    start_ts, end_ts = utc(start), utc(end)
    if end_ts <= start_ts:
        raise ValidationError({"end": ["must be after start"]})
    problems = [p for a in agents if (p := desk_model_problem(a, start_ts)) is not None]
    if problems:
        raise ValidationError({"agents": problems})
    start_dt, end_dt = start_ts.to_pydatetime(), end_ts.to_pydatetime()
    times = _window_times(agents, start_dt, end_dt)
    if not len(times):
        raise ValidationError({"start": ["no candles of the agents between start and end"]})
    with transaction.atomic():
        session = ReplaySession.objects.create(
            owner=owner,
            name=name[:60],
            start=start_dt,
            end=end_dt,
            bars_per_step=int(bars_per_step),
            step_seconds=float(step_seconds),
            params=desk.to_dict() | {"seeds": 0},
            times_total=len(times),
        )
        portfolio = portfolio_create(
            owner=owner,
            name=f"Replay #{session.pk}: {name}"[:80],
            initial_cash=Decimal(repr(float(desk.initial_balance))),
            buy_fraction=Decimal(repr(float(desk.buy_fraction))),
            fee_rate=Decimal(repr(float(desk.fee_rate))),
            kind=Portfolio.Kind.REPLAY,
        )
        session.portfolio = portfolio
        session.save(update_fields=["portfolio"])
        ReplayAgent.objects.bulk_create(
            [
                ReplayAgent(
                    session=session,
                    agent=a,
                    name=a.name,
                    symbol=a.symbol,
                    interval=a.interval,
                    strategy_version=a.strategy_version,
                    model=a.model,
                )
                for a in agents
            ]
        )
    return session


# ---- controls -----------------------------------------------------------------------

CONTROLS = ("start", "resume", "pause", "step", "stop")


def replay_control(*, session: ReplaySession, action: str) -> ReplaySession:
    """Start/resume (-> running), pause (-> paused), step once (one step now; a ready
    session becomes paused), stop (-> stopped, for good). A move the status does not allow
    is a ValidationError naming ``action``."""
    S = ReplaySession.Status
    if action not in CONTROLS:
        raise ValidationError({"action": [f"must be one of {', '.join(CONTROLS)}"]})
    if action == "step":
        if session.status not in (S.READY, S.PAUSED, S.RUNNING):
            raise ValidationError({"action": [f"the session is {session.status}"]})
        if session.status == S.READY:
            ReplaySession.objects.filter(pk=session.pk, status=S.READY).update(status=S.PAUSED)
        replay_advance(session_id=session.pk)
        session.refresh_from_db()
        return session
    allowed = {
        "start": ((S.READY, S.PAUSED), S.RUNNING),
        "resume": ((S.READY, S.PAUSED), S.RUNNING),
        "pause": ((S.RUNNING,), S.PAUSED),
        "stop": ((S.READY, S.RUNNING, S.PAUSED), S.STOPPED),
    }
    sources, target = allowed[action]
    changed = ReplaySession.objects.filter(pk=session.pk, status__in=sources).update(
        status=target, updated_at=timezone.now()
    )
    session.refresh_from_db()
    if not changed:
        raise ValidationError({"action": [f"cannot {action}: the session is {session.status}"]})
    return session


# ---- the clock ----------------------------------------------------------------------


@dataclass
class _Agent:
    row: ReplayAgent
    strategy: Any
    step_ms: int
    estimator: Any


_ESTIMATORS: dict[tuple[int, str], Any] = {}


def _estimator(ra: ReplayAgent):
    """The pinned model's estimator, checked once per process (model_load verifies it)."""
    if ra.model_id is None:
        return None
    key = (ra.model_id, ra.model.sha256)
    if key not in _ESTIMATORS:
        if len(_ESTIMATORS) >= 8:
            _ESTIMATORS.pop(next(iter(_ESTIMATORS)))
        _ESTIMATORS[key] = model_load(ra.model)
    return _ESTIMATORS[key]


class _Raced(Exception):
    """Another step advanced the session first: this one must change nothing."""


def replay_advance(*, session_id: int, due_only: bool = False) -> int:
    """One step of the session's clock (``bars_per_step`` decision times) in one
    transaction under the session row's lock. ``due_only``: only if the session is
    running and its step interval has passed (the tick). Returns the decision times
    processed (0: not due, not live, finished, or another step got there first)."""
    try:
        with transaction.atomic():
            session = ReplaySession.objects.select_for_update().filter(pk=session_id).first()
            if session is None or not session.is_live:
                return 0
            now = timezone.now()
            if due_only and (
                session.status != ReplaySession.Status.RUNNING
                or (
                    session.last_step_at is not None
                    and (now - session.last_step_at).total_seconds() < session.step_seconds
                )
            ):
                return 0
            return _advance(session, now)
    except (_Raced, IntegrityError):
        return 0


def _next_times(session: ReplaySession, agents: list[_Agent], n: int):
    """The next ``n`` decision times after the clock, and per agent the open times of its
    bars closing at them."""
    opens = []
    for a in agents:
        after = None if session.clock is None else session.clock - timedelta(milliseconds=a.step_ms)
        opens.append(
            open_times_ms(
                symbol=a.row.symbol,
                interval=a.row.interval,
                after=after,
                start=session.start,
                end=session.end,
                limit=n,
            )
        )
    times = decision_times(opens, [a.step_ms for a in agents], start=session.start, end=session.end)
    if session.clock is not None:
        times = times[times > to_ms(session.clock)]
    return times[:n], [set(o.tolist()) for o in opens]


def _advance(session: ReplaySession, now: datetime) -> int:
    agents = [
        _Agent(
            row=ra,
            strategy=parse_strategy(ra.strategy_version.normalized),
            step_ms=interval_ms(ra.interval),
            estimator=_estimator(ra),
        )
        for ra in replay_agents(session)
    ]
    params = DeskParams(**session.params)
    times, opens = _next_times(session, agents, session.bars_per_step)
    seq0 = session.steps_done
    for k, T in enumerate(times):
        _at(session, agents, opens, params, int(T), seq0 + k)
    done = seq0 + len(times)
    finished = len(times) < session.bars_per_step or done >= session.times_total
    fields: dict[str, Any] = {"steps_done": done, "last_step_at": now, "updated_at": now}
    if len(times):
        fields["clock"] = from_ms(int(times[-1]))
    if finished:
        fields["status"] = ReplaySession.Status.FINISHED
        fields["note"] = _finish_note(session)
    if not ReplaySession.objects.filter(pk=session.pk, steps_done=seq0).update(**fields):
        raise _Raced()
    return len(times)


def _finish_note(session: ReplaySession) -> str:
    held = Position.objects.filter(portfolio_id=session.portfolio_id).count()
    waiting = session.candidates.filter(fill=ReplayCandidate.Fill.PENDING).count()
    parts = ["the window's last decision time was processed"]
    if held:
        parts.append(f"{held} position(s) left open, valued at their last close")
    if waiting:
        parts.append(f"{waiting} order(s) never filled")
    return "; ".join(parts)


def _at(
    session: ReplaySession,
    agents: list[_Agent],
    opens: list[set[int]],
    params: DeskParams,
    T: int,
    seq: int,
) -> None:
    """Decision time T (epoch ms): fill, decide, fill, mark."""
    T_dt = from_ms(T)
    strategies = {a.row.pk: a.strategy for a in agents}
    _fill_waiting(session, T_dt, strategies, before=True)
    step = ReplayStep.objects.create(session=session, seq=seq, market_time=T_dt, cash=0, equity=0)
    evaluated = []
    for idx, a in enumerate(agents):
        bar_open = T - a.step_ms
        if bar_open not in opens[idx]:
            continue
        evaluated.append((a, *_evaluate(a, bar_open)))
    _decide(session, step, evaluated, params, T_dt)
    _fill_waiting(session, T_dt, strategies, before=False)
    portfolio = Portfolio.objects.get(pk=session.portfolio_id)
    step.cash = float(portfolio.cash)
    step.equity = desk_equity(step.cash, _holdings(session, agents, T_dt))
    step.save(update_fields=["cash", "equity"])


def _evaluate(a: _Agent, bar_open_ms: int) -> tuple[int, float, float | None, list, datetime]:
    """The agent's signal on the bar opening at ``bar_open_ms``, from its candles up to
    that bar (the series' start included, so every indicator equals the backtest's)."""
    bar_open = from_ms(bar_open_ms)
    candles = candles_frame(symbol=a.row.symbol, interval=a.row.interval, end=bar_open)
    if candles.empty or to_ms(candles.index[-1]) != bar_open_ms:
        raise RuntimeError(f"{a.row.name}: the candle opening at {bar_open} is gone")
    p_up = None
    p = None
    if a.estimator is not None:
        p_up = probability_up_last(a.estimator, candles)
        p = np.full(len(candles), np.nan)
        p[-1] = p_up
    series = agent_series(a.strategy, candles, interval=a.row.interval, probability_up=p)
    action = int(series.action[-1])
    confidence = float(series.confidence[-1])
    try:
        ev = evaluate_at(a.strategy, candles, series, -1, interval_ms=a.step_ms)
        reasons = ev.reasons + [
            {
                "entry_price": ev.entry_price,
                "target_price": ev.target_price,
                "stop_loss": ev.stop_loss,
                "targets_from": ev.targets_from,
                "confidence_source": ev.confidence_source,
            }
        ]
    except EvaluationError as exc:
        reasons = [{"note": str(exc)}]
    p_up = None if p_up is None or not math.isfinite(p_up) else p_up
    return action, confidence, p_up, reasons, bar_open


def _track_records(
    session: ReplaySession, before: datetime, fee: float
) -> dict[int, tuple[int, int]]:
    """{agent id: (wins, closed round trips)} of the session's own round trips whose exit
    filled before ``before``; a win by `rules.round_trip_won` (as the backtest counts)."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for t in TradeLog.objects.filter(portfolio_id=session.portfolio_id, exit_time__lt=before):
        rec = out[t.agent_id]
        rec[1] += 1
        if round_trip_won(float(t.entry_price), float(t.exit_price), float(t.quantity), fee):
            rec[0] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _decide(
    session: ReplaySession,
    step: ReplayStep,
    evaluated: list,
    params: DeskParams,
    T_dt: datetime,
) -> None:
    held_by = dict(
        Position.objects.filter(portfolio_id=session.portfolio_id).values_list("symbol", "agent_id")
    )
    waiting = set(
        session.candidates.filter(fill=ReplayCandidate.Fill.PENDING).values_list(
            "agent__symbol", flat=True
        )
    )
    records = _track_records(session, T_dt, float(params.fee_rate))
    cands = []
    for a, action, confidence, _p, _r, _o in evaluated:
        if action == HOLD:
            continue
        wins, trades = records.get(a.row.agent_id, (0, 0))
        cands.append(
            Candidate(
                agent_id=a.row.agent_id,
                symbol=a.row.symbol,
                action=action,
                confidence=confidence,
                held_by=held_by.get(a.row.symbol) or -1,
                waiting=a.row.symbol in waiting,
                wins=wins,
                trades=trades,
            )
        )
    ranked = {
        r.agent_id: r
        for r in desk_decide(
            cands,
            top_n=params.top_n,
            min_score=params.min_score,
            alpha=params.alpha,
            beta=params.beta,
            prior_trades=params.prior_trades,
        )
    }
    for a, action, confidence, p_up, reasons, bar_open in evaluated:
        r = ranked.get(a.row.agent_id)
        row = ReplayCandidate(
            session=session,
            step=step,
            agent=a.row,
            market_time=T_dt,
            candle_time=bar_open,
            action=ACTIONS[action],
            confidence=confidence,
            probability_up=p_up,
            reasons=reasons,
        )
        if r is not None:
            row.win_rate, row.score, row.rank = r.win_rate, r.score, r.rank
            row.status, row.take_order = r.status, r.take_order
            if r.status == TAKEN:
                nxt = next_candle(
                    symbol=a.row.symbol, interval=a.row.interval, after=bar_open, end=session.end
                )
                if nxt is None:
                    row.fill = ReplayCandidate.Fill.NO_NEXT_CANDLE
                    row.fill_note = "no next candle before the window's end"
                else:
                    row.fill = ReplayCandidate.Fill.PENDING
                    row.fill_at, row.fill_open = nxt
        row.save()


def _fill_waiting(
    session: ReplaySession, T_dt: datetime, strategies: dict[int, Any], *, before: bool
) -> None:
    """Fill the waiting orders whose fill candle opened before T (``before``) or at T;
    ``strategies``: each session agent's parsed strategy."""
    qs = session.candidates.filter(fill=ReplayCandidate.Fill.PENDING).select_related(
        "agent", "agent__agent", "agent__strategy_version"
    )
    qs = qs.filter(fill_at__lt=T_dt) if before else qs.filter(fill_at=T_dt)
    pending = list(qs)
    order = fill_sequence(
        [
            (to_ms(c.fill_at), ACTIONS.index(c.action), to_ms(c.market_time), c.take_order)
            for c in pending
        ]
    )
    slippage = float(session.params.get("slippage_bps", 0.0))
    for j in order:
        _fill(session, pending[j], slippage, strategies[pending[j].agent_id])


def _fill(session: ReplaySession, c: ReplayCandidate, slippage_bps: float, strategy) -> None:
    code = ACTIONS.index(c.action)
    price = Decimal(repr(fill_price(code, c.fill_open, slippage_bps))).quantize(
        EIGHT, rounding=ROUND_HALF_EVEN
    )
    try:
        order, _ = order_place(
            owner=session.owner,
            portfolio=session.portfolio,
            symbol=c.agent.symbol,
            action=c.action,
            price=price,
            market_time=c.fill_at,
            decided_at=c.market_time,
            confidence=c.confidence,
            source=Source.MOTHERAI,
            agent=c.agent.agent,
            strategy_name=c.agent.strategy_version.name,
            indicators_used=strategy.indicators_used(),
            idempotency_key=f"replay-{session.pk}-{to_ms(c.market_time)}-{c.agent.agent_id}",
            notes=f"replay #{session.pk}: decided at {c.market_time:%Y-%m-%d %H:%M} UTC",
        )
    except ValidationError as exc:
        if code != BUY:
            raise
        c.fill = ReplayCandidate.Fill.NO_CASH
        c.fill_note = "; ".join(exc.messages)[:300]
        c.save(update_fields=["fill", "fill_note"])
        return
    c.fill = ReplayCandidate.Fill.FILLED
    c.order = order
    c.save(update_fields=["fill", "order"])


def _holdings(
    session: ReplaySession, agents: list[_Agent], T_dt: datetime
) -> list[tuple[float, float]]:
    by_agent = {a.row.agent_id: a for a in agents}
    out = []
    for p in Position.objects.filter(portfolio_id=session.portfolio_id):
        a = by_agent.get(p.agent_id)
        close = (
            last_close(
                symbol=a.row.symbol,
                interval=a.row.interval,
                closed_by=T_dt,
                step=timedelta(milliseconds=a.step_ms),
            )
            if a is not None
            else None
        )
        out.append((float(p.quantity), close if close is not None else float(p.avg_price)))
    return out


# ---- the tick -----------------------------------------------------------------------


def replay_due(now: datetime | None = None) -> list[int]:
    """The running sessions whose step interval has passed."""
    now = now or timezone.now()
    out = []
    for pk, last, every in ReplaySession.objects.filter(
        status=ReplaySession.Status.RUNNING
    ).values_list("pk", "last_step_at", "step_seconds"):
        if last is None or (now - last).total_seconds() >= every:
            out.append(pk)
    return out


def replay_tick(*, send=None, now: datetime | None = None) -> int:
    """Advance every due running session: ``send(session_id)`` per session (Celery: the
    task ``replay.step``), else in this process. The step re-checks due-ness under the
    session's lock, so two ticks never advance a session twice for one interval."""
    due = replay_due(now)
    for pk in due:
        if send is not None:
            send(pk)
        else:
            replay_advance(session_id=pk, due_only=True)
    return len(due)


# ---- the demo -----------------------------------------------------------------------

DEMO_NAME = "Demo replay"
DEMO_PARAMS = {"top_n": 2, "min_score": 0.5, "buy_fraction": 0.25, "slippage_bps": 2.0}
DEMO_SPEED = {"bars_per_step": 1, "step_seconds": 2.0}
DEMO_LEAD_BARS = 5  # the window opens this many bars before the first trade


def _demo_window(agents: list[Agent]) -> tuple[list[Agent], pd.Timestamp, pd.Timestamp] | None:
    """The most recent window the agents may trade in: it ends at the newest candle of the
    agent with the newest data and starts after the models' training windows; agents whose
    candles do not reach past that start are left out."""
    spans = []
    for a in agents:
        span = series_span(symbol=a.symbol, interval=a.interval)
        if span is None:
            continue
        first, last = utc(span[0]), utc(span[1])
        step = pd.Timedelta(milliseconds=interval_ms(a.interval))
        allowed = first
        if a.model is not None and len(a.model.train_window or []) == 2:
            allowed = max(first, utc(a.model.train_window[1]) + step)
        spans.append((a, allowed, last))
    spans.sort(key=lambda s: (-s[2].value, s[0].pk))
    if not spans or spans[0][1] >= spans[0][2]:
        return None
    end, start = spans[0][2], spans[0][1]
    for _, allowed, last in spans[1:]:
        if last > max(start, allowed):
            start = max(start, allowed)
    chosen = [a for a, allowed, last in spans if allowed <= start < last]
    return chosen, start, end


def _first_trade_bar(agents: list[Agent], start: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    """The open of the first bar in the window where an agent's buy would be taken with
    an empty record (score with the prior's win rate >= the demo's min_score)."""
    p = DeskParams(**DEMO_PARAMS, seeds=0)
    prior = shrunk_win_rate(0, 0, p.prior_trades)
    first = end
    for a in agents:
        candles = candles_frame(symbol=a.symbol, interval=a.interval, end=end.to_pydatetime())
        proba = predict_proba_up_series(model_load(a.model), candles) if a.model else None
        s = agent_series(
            parse_strategy(a.strategy_version.normalized),
            candles,
            interval=a.interval,
            probability_up=proba,
        )
        ok = (s.action == BUY) & (s.index >= start)
        ok &= desk_score(s.confidence, prior, p.alpha, p.beta) >= p.min_score
        hits = np.flatnonzero(ok)
        if len(hits):
            first = min(first, pd.Timestamp(s.index[hits[0]]))
    return first


def replay_demo_start(owner) -> ReplaySession | None:
    """The demo's running session over the owner's agents on their most recent window
    (after the models' training), 1 bar every 2 s, opening a few bars before the first
    buy the desk would take, so a fresh `make run` shows decisions and fills within a
    minute. Idempotent: an existing live demo session is returned."""
    existing = ReplaySession.objects.filter(
        owner=owner, name=DEMO_NAME, status__in=["ready", "running", "paused"]
    ).first()
    if existing is not None:
        return existing
    agents = list(
        Agent.objects.filter(owner=owner, enabled=True).select_related("strategy_version", "model")
    )
    window = _demo_window(agents)
    if window is None:
        return None
    chosen, start, end = window
    first = _first_trade_bar(chosen, start, end)
    step = pd.Timedelta(milliseconds=max(interval_ms(a.interval) for a in chosen))
    start = max(start, first - DEMO_LEAD_BARS * step)
    session = replay_create(
        owner=owner,
        name=DEMO_NAME,
        agent_ids=[a.pk for a in chosen],
        start=start.to_pydatetime(),
        end=end.to_pydatetime(),
        params=DEMO_PARAMS,
        **DEMO_SPEED,
    )
    return replay_control(session=session, action="start")
