"""The desk backtest (SPEC §7a "Desk backtest — exact semantics"): the Mother AI's
decisions over a window, across agents on their own symbols and intervals with one shared
cash pool, in one compiled pass; beside it each agent alone, an equal-weight buy & hold and
a random-selection baseline over many seeds.

The loop walks the union of the agents' close times in the window. At each time T:
1. orders whose fill candle opened before T fill (sells first, then buys in the order
   they were decided and ranked);
2. the agents with a candle closing at T are due: their non-hold signals are candidates;
   executable ones (`rules.executable`) are scored and ranked (`rules.rank_take`), or, for
   the random baseline, picked in `rng.permutation` order (`rules.random_take`);
3. each taken action waits for the open of its agent's next candle (no next candle in
   the window: no fill); the orders whose fill candle opens at T fill now;
4. equity is marked at each agent's last close.
The win rate at T counts an agent's round trips whose exit filled before T.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from engine.bounds import Bound
from engine.marketdata import interval_ms as interval_to_ms

from .rules import (
    BUY,
    FILLED,
    HOLD,
    NO_CASH,
    NO_NEXT_CANDLE,
    SELL,
    TAKEN,
    buy_fill,
    desk_score,
    executable,
    random_take,
    rank_take,
    round_trip_won,
    sell_fill,
    shrunk_win_rate,
)


def _drop_stale_kernel_cache() -> None:
    """numba's ``cache=True`` keys a function's cached machine code on its own source file
    only; the kernel below inlines the rules of rules.py, so a change there must drop the
    kernel's cache too, or an old rule would keep running. A stamp of both files decides."""
    here = Path(__file__).resolve().parent
    try:
        digest = hashlib.sha256(
            (here / "rules.py").read_bytes() + (here / "backtest.py").read_bytes()
        ).hexdigest()[:16]
        cache = here / "__pycache__"
        if not cache.is_dir() or (cache / f"desk-kernel-{digest}.stamp").exists():
            return
        for old in [*cache.glob("backtest.*.nbi"), *cache.glob("backtest.*.nbc")]:
            old.unlink(missing_ok=True)
        for old in cache.glob("desk-kernel-*.stamp"):
            old.unlink(missing_ok=True)
        (cache / f"desk-kernel-{digest}.stamp").touch()
    except OSError:  # a read-only install: numba caches elsewhere or not at all
        return


_drop_stale_kernel_cache()


# The desk's parameters: defaults and bounds, written once (the API and pages read them).
DEFAULTS: dict[str, Any] = {
    "top_n": 3,
    "min_score": 0.75,
    "alpha": 0.6,
    "beta": 0.4,
    "prior_trades": 10,
    "buy_fraction": 0.1,
    "fee_rate": 0.001,
    "slippage_bps": 0.0,
    "initial_balance": 10_000.0,
    "seeds": 100,
}
BOUNDS: dict[str, Bound] = {
    "top_n": Bound(1, 50, text="must be a whole number from 1 to 50"),
    "min_score": Bound(0.0, 1.0, text="must be between 0 and 1"),
    "alpha": Bound(0.0, 1.0),
    "beta": Bound(0.0, 1.0),
    "prior_trades": Bound(0, 1000),
    "buy_fraction": Bound(0.0, 1.0, low_open=True, step=0.0001),
    "fee_rate": Bound(0.0, 0.05),
    "slippage_bps": Bound(0.0, 500.0),
    "initial_balance": Bound(1.0, 1e12),
    "seeds": Bound(0, 1000),
}
WHOLE = ("top_n", "prior_trades", "seeds")


class DeskConfigError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class DeskParams:
    top_n: int = DEFAULTS["top_n"]
    min_score: float = DEFAULTS["min_score"]
    alpha: float = DEFAULTS["alpha"]
    beta: float = DEFAULTS["beta"]
    prior_trades: int = DEFAULTS["prior_trades"]
    buy_fraction: float = DEFAULTS["buy_fraction"]
    fee_rate: float = DEFAULTS["fee_rate"]
    slippage_bps: float = DEFAULTS["slippage_bps"]
    initial_balance: float = DEFAULTS["initial_balance"]
    seeds: int = DEFAULTS["seeds"]

    def validate(self) -> None:
        for name, bound in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DeskConfigError(name, "must be a number")
            if name in WHOLE and value != int(value):
                raise DeskConfigError(name, "must be a whole number")
            if not np.isfinite(value) or not bound.contains(value):
                raise DeskConfigError(name, bound.message)
        if abs(self.alpha + self.beta - 1.0) > 1e-9:
            raise DeskConfigError("alpha", "alpha and beta must add up to 1")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DEFAULTS}


@dataclass
class DeskAgent:
    """One agent's input: its candles from the history's start (the warm-up needs them),
    the action and confidence per bar (`evaluate.agent_series`) and its interval."""

    agent_id: int
    name: str
    symbol: str
    interval: str
    candles: pd.DataFrame
    action: np.ndarray
    confidence: np.ndarray


@dataclass
class DeskRun:
    """One pass of the kernel: trades, equity per time, and the audit."""

    trades: dict[str, np.ndarray]
    equity: np.ndarray
    audit: dict[str, np.ndarray]
    taken_per_time: np.ndarray


@dataclass
class DeskResult:
    params: DeskParams
    agents: list[DeskAgent]
    symbols: list[str]
    times: pd.DatetimeIndex
    desk: DeskRun
    alone: list[DeskRun]
    buy_and_hold: np.ndarray
    random_final: np.ndarray
    metrics: dict[str, Any]
    # at the times ``index`` (see ``band_points``): the random runs' mean, 5th and 95th
    # percentile of equity; None without seeds or band_points
    random_band: dict[str, np.ndarray] | None = None
    timings: dict[str, float] = field(default_factory=dict)


# ---- the compiled loop --------------------------------------------------------------


class _Waiting(NamedTuple):
    """The orders waiting for their fill candle, one slot per symbol (at most one waits)."""

    on: np.ndarray
    side: np.ndarray
    agent: np.ndarray
    bar: np.ndarray  # the fill candle, in the agent's bars
    fill: np.ndarray  # its open time (ms)
    dec: np.ndarray  # the decision time (ms)
    rank: np.ndarray  # the place among the actions taken at that time
    audit: np.ndarray  # the audit row of the decision


class _Book(NamedTuple):
    """The desk's position per symbol: the agent whose buy opened it (-1: none), its
    quantity, entry price (slippage included) and trade row."""

    held_by: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    entry_row: np.ndarray


@njit(cache=True, nogil=True)
def _flush(
    before, limit, w, book, opens, off, cash, costs, wins, counts, tr, k, fill_status, fill_row
):
    """Fill the waiting orders ``w`` whose fill time is < limit (``before``) or == limit, in
    fill time order; at one fill time sells first, then buys by decision time and rank.
    ``book`` holds the desk's positions; ``costs`` is (fee, slippage, buy fraction)."""
    fee, slip, frac = costs
    nsym = len(w.on)
    while True:
        best = -1
        for s in range(nsym):
            if not w.on[s]:
                continue
            f = w.fill[s]
            if (before and f >= limit) or (not before and f != limit):
                continue
            if best < 0:
                best = s
                continue
            b = best
            key_s = (f, 0 if w.side[s] == SELL else 1, w.dec[s], w.rank[s])
            key_b = (w.fill[b], 0 if w.side[b] == SELL else 1, w.dec[b], w.rank[b])
            if key_s < key_b:
                best = s
        if best < 0:
            return cash, k
        s = best
        w.on[s] = False
        a = w.agent[s]
        o = opens[off[a] + w.bar[s]]
        if w.side[s] == BUY:
            px, qty, paid, cash_after = buy_fill(cash, o, frac, fee, slip)
            if qty > 0.0:
                cash = cash_after
                book.held_by[s] = a
                book.qty[s] = qty
                book.price[s] = px
                book.entry_row[s] = k
                tr[0][k] = a
                tr[1][k] = w.bar[s]
                tr[2][k] = -1
                tr[3][k] = w.dec[s]
                tr[4][k] = w.fill[s]
                tr[5][k] = -1
                tr[6][k] = -1
                tr[7][k] = px
                tr[8][k] = np.nan
                tr[9][k] = qty
                tr[10][k] = paid
                tr[11][k] = 0.0
                tr[12][k] = np.nan
                if w.audit[s] >= 0:
                    fill_status[w.audit[s]] = FILLED
                    fill_row[w.audit[s]] = k
                k += 1
            elif w.audit[s] >= 0:
                fill_status[w.audit[s]] = NO_CASH
        else:
            row = book.entry_row[s]
            qty = book.qty[s]
            px, paid, cash = sell_fill(cash, o, qty, fee, slip)
            tr[2][row] = w.bar[s]
            tr[5][row] = w.dec[s]
            tr[6][row] = w.fill[s]
            tr[8][row] = px
            tr[11][row] = paid
            tr[12][row] = qty * px - paid - (qty * book.price[s] + tr[10][row])
            counts[a] += 1
            if round_trip_won(book.price[s], px, qty, fee):
                wins[a] += 1
            book.held_by[s] = -1
            book.qty[s] = 0.0
            if w.audit[s] >= 0:
                fill_status[w.audit[s]] = FILLED
                fill_row[w.audit[s]] = row


@njit(cache=True, nogil=True)
def _any(flags):
    for f in flags:
        if f:
            return True
    return False


@njit(cache=True, nogil=True)
def _desk_kernel(
    times,
    t_start,
    ev_agent,
    ev_bar,
    agent_sym,
    agent_key,
    off,
    hi,
    opens,
    closes,
    open_ms,
    action,
    confidence,
    nsym,
    top_n,
    min_score,
    alpha,
    beta,
    prior,
    frac,
    fee,
    slip,
    initial,
    mode,
    rng,
    take_counts,
):
    """mode 0: the Mother AI (score and rank); mode 1: random picks, ``take_counts[t]``
    per time, with ``rng``. Events ``t_start[t]:t_start[t+1]`` are the (agent, bar) pairs
    closing at ``times[t]``, sorted by agent."""
    nagents = len(agent_sym)
    ntimes = len(times)
    nev = len(ev_agent)
    cap = nev + 1
    tr = (
        np.full(cap, -1, np.int64),  # 0 agent
        np.full(cap, -1, np.int64),  # 1 entry bar (the fill candle)
        np.full(cap, -1, np.int64),  # 2 exit bar
        np.zeros(cap, np.int64),  # 3 entry decided at (ms)
        np.zeros(cap, np.int64),  # 4 entry filled at (ms)
        np.full(cap, -1, np.int64),  # 5 exit decided at
        np.full(cap, -1, np.int64),  # 6 exit filled at
        np.zeros(cap),  # 7 entry price
        np.zeros(cap),  # 8 exit price
        np.zeros(cap),  # 9 quantity
        np.zeros(cap),  # 10 entry fee
        np.zeros(cap),  # 11 exit fee
        np.zeros(cap),  # 12 pnl (NaN while open)
    )
    k = 0
    # the audit: one row per non-hold signal at a decision time
    au_time = np.zeros(nev, np.int64)
    au_agent = np.zeros(nev, np.int64)
    au_bar = np.zeros(nev, np.int64)
    au_action = np.zeros(nev, np.int8)
    au_conf = np.zeros(nev)
    au_wr = np.zeros(nev)
    au_score = np.zeros(nev)
    au_rank = np.zeros(nev, np.int64)
    au_status = np.zeros(nev, np.int8)
    fill_status = np.zeros(nev, np.int8)
    fill_row = np.full(nev, -1, np.int64)
    na = 0

    book = _Book(
        np.full(nsym, -1, np.int64), np.zeros(nsym), np.zeros(nsym), np.full(nsym, -1, np.int64)
    )
    w = _Waiting(
        np.zeros(nsym, np.bool_),
        np.zeros(nsym, np.int8),
        np.zeros(nsym, np.int64),
        np.zeros(nsym, np.int64),
        np.zeros(nsym, np.int64),
        np.zeros(nsym, np.int64),
        np.zeros(nsym, np.int64),
        np.full(nsym, -1, np.int64),
    )
    costs = (fee, slip, frac)
    wins = np.zeros(nagents, np.int64)
    counts = np.zeros(nagents, np.int64)
    last_close = np.full(nagents, np.nan)
    equity = np.zeros(ntimes)
    taken_per_time = np.zeros(ntimes, np.int64)
    cash = initial

    for t in range(ntimes):
        T = times[t]
        if _any(w.on):
            cash, k = _flush(
                True,
                T,
                w,
                book,
                opens,
                off,
                cash,
                costs,
                wins,
                counts,
                tr,
                k,
                fill_status,
                fill_row,
            )
        lo_e, hi_e = t_start[t], t_start[t + 1]
        # candidates: the non-hold signals of the agents due at T
        m = 0
        for e in range(lo_e, hi_e):
            a = ev_agent[e]
            i = ev_bar[e]
            last_close[a] = closes[off[a] + i]
            act = action[off[a] + i]
            if act == HOLD:
                continue
            s = agent_sym[a]
            wr = shrunk_win_rate(wins[a], counts[a], prior)
            c = confidence[off[a] + i]
            r = na + m
            au_time[r] = T
            au_agent[r] = a
            au_bar[r] = i
            au_action[r] = act
            au_conf[r] = c
            au_wr[r] = wr
            au_score[r] = desk_score(c, wr, alpha, beta)
            au_status[r] = executable(act, a, book.held_by[s], w.on[s])
            m += 1
        if m:
            rows = np.arange(na, na + m)
            syms = np.empty(m, np.int64)
            keys = np.empty(m, np.int64)
            for j in range(m):
                syms[j] = agent_sym[au_agent[rows[j]]]
                keys[j] = agent_key[au_agent[rows[j]]]
            status = au_status[na : na + m].copy()
            if mode == 0:
                ranks = rank_take(
                    au_score[na : na + m].copy(), keys, syms, status, top_n, min_score
                )
            else:
                ranks = random_take(rng, keys, syms, status, take_counts[t])
            au_rank[na : na + m] = ranks
            au_status[na : na + m] = status
            # taken actions wait for the open of the agent's next candle, in rank order
            order = np.argsort(ranks)
            rank_no = 0
            for j in order:
                r = na + j
                if au_status[r] != TAKEN:
                    continue
                rank_no += 1
                taken_per_time[t] += 1
                a = au_agent[r]
                s = agent_sym[a]
                nb = au_bar[r] + 1
                if off[a] + nb >= hi[a]:
                    fill_status[r] = NO_NEXT_CANDLE
                    continue
                w.on[s] = True
                w.side[s] = au_action[r]
                w.agent[s] = a
                w.bar[s] = nb
                w.fill[s] = open_ms[off[a] + nb]
                w.dec[s] = T
                w.rank[s] = rank_no
                w.audit[s] = r
            na += m
        if _any(w.on):
            cash, k = _flush(
                False,
                T,
                w,
                book,
                opens,
                off,
                cash,
                costs,
                wins,
                counts,
                tr,
                k,
                fill_status,
                fill_row,
            )
        value = cash
        for s in range(nsym):
            if book.held_by[s] >= 0:
                value += book.qty[s] * last_close[book.held_by[s]]
        equity[t] = value
    trades = (
        tr[0][:k],
        tr[1][:k],
        tr[2][:k],
        tr[3][:k],
        tr[4][:k],
        tr[5][:k],
        tr[6][:k],
        tr[7][:k],
        tr[8][:k],
        tr[9][:k],
        tr[10][:k],
        tr[11][:k],
        tr[12][:k],
    )
    audit = (
        au_time[:na],
        au_agent[:na],
        au_bar[:na],
        au_action[:na],
        au_conf[:na],
        au_wr[:na],
        au_score[:na],
        au_rank[:na],
        au_status[:na],
        fill_status[:na],
        fill_row[:na],
    )
    return trades, equity, audit, taken_per_time


TRADE_FIELDS = (
    "agent",
    "entry_bar",
    "exit_bar",
    "entry_decided_ms",
    "entry_filled_ms",
    "exit_decided_ms",
    "exit_filled_ms",
    "entry_price",
    "exit_price",
    "quantity",
    "entry_fee",
    "exit_fee",
    "pnl",
)
AUDIT_FIELDS = (
    "time_ms",
    "agent",
    "bar",
    "action",
    "confidence",
    "win_rate",
    "score",
    "rank",
    "status",
    "fill",
    "trade",
)


# ---- preparing the inputs -----------------------------------------------------------


@dataclass
class _Inputs:
    times: np.ndarray
    t_start: np.ndarray
    ev_agent: np.ndarray
    ev_bar: np.ndarray
    agent_sym: np.ndarray
    agent_key: np.ndarray
    off: np.ndarray
    hi: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    open_ms: np.ndarray
    action: np.ndarray
    confidence: np.ndarray
    symbols: list[str]


def utc_ms(ts) -> int:
    """A time (naive: UTC) as epoch milliseconds."""
    return int(_utc(ts).value // 1_000_000)


def _utc(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _prepare(agents: list[DeskAgent], start, end) -> _Inputs:
    agents_sorted = sorted(agents, key=lambda a: a.agent_id)
    if [a.agent_id for a in agents_sorted] != [a.agent_id for a in agents]:
        raise ValueError("agents must be sorted by agent id")
    symbols = sorted({a.symbol for a in agents})
    start_ms, end_ms = utc_ms(start), utc_ms(end)
    offs = [0]
    his, opens, closes, open_ms, actions, confs = [], [], [], [], [], []
    ev_t, ev_a, ev_b = [], [], []
    for idx, ag in enumerate(agents):
        if len(ag.action) != len(ag.candles) or len(ag.confidence) != len(ag.candles):
            raise ValueError(f"agent {ag.agent_id}: one action and confidence per candle")
        om = ag.candles.index.as_unit("ms").asi8.astype(np.int64)
        lo = int(np.searchsorted(om, start_ms, side="left"))
        hi = int(np.searchsorted(om, end_ms, side="right"))
        his.append(offs[-1] + hi)
        bars = np.arange(lo, hi, dtype=np.int64)
        ev_t.append(om[lo:hi] + interval_to_ms(ag.interval))
        ev_a.append(np.full(len(bars), idx, np.int64))
        ev_b.append(bars)
        opens.append(ag.candles["open"].to_numpy(dtype="float64"))
        closes.append(ag.candles["close"].to_numpy(dtype="float64"))
        open_ms.append(om)
        actions.append(np.asarray(ag.action, dtype=np.int8))
        confs.append(np.asarray(ag.confidence, dtype="float64"))
        offs.append(offs[-1] + len(om))
    ev_t = np.concatenate(ev_t) if ev_t else np.zeros(0, np.int64)
    ev_a = np.concatenate(ev_a) if ev_a else np.zeros(0, np.int64)
    ev_b = np.concatenate(ev_b) if ev_b else np.zeros(0, np.int64)
    order = np.lexsort((ev_a, ev_t))
    ev_t, ev_a, ev_b = ev_t[order], ev_a[order], ev_b[order]
    times, first = np.unique(ev_t, return_index=True)
    t_start = np.append(first, len(ev_t)).astype(np.int64)
    return _Inputs(
        times=times.astype(np.int64),
        t_start=t_start,
        ev_agent=ev_a,
        ev_bar=ev_b,
        agent_sym=np.array([symbols.index(a.symbol) for a in agents], np.int64),
        agent_key=np.array([a.agent_id for a in agents], np.int64),
        off=np.array(offs, np.int64),
        hi=np.array(his, np.int64),
        opens=_cat(opens, np.float64),
        closes=_cat(closes, np.float64),
        open_ms=_cat(open_ms, np.int64),
        action=_cat(actions, np.int8),
        confidence=_cat(confs, np.float64),
        symbols=symbols,
    )


def _run(inp: _Inputs, p: DeskParams, *, mode: int = 0, rng=None, take_counts=None) -> DeskRun:
    trades, equity, audit, taken = _desk_kernel(
        inp.times,
        inp.t_start,
        inp.ev_agent,
        inp.ev_bar,
        inp.agent_sym,
        inp.agent_key,
        inp.off,
        inp.hi,
        inp.opens,
        inp.closes,
        inp.open_ms,
        inp.action,
        inp.confidence,
        len(inp.symbols),
        int(p.top_n),
        float(p.min_score),
        float(p.alpha),
        float(p.beta),
        int(p.prior_trades),
        float(p.buy_fraction),
        float(p.fee_rate),
        float(p.slippage_bps) / 1e4,
        float(p.initial_balance),
        mode,
        rng if rng is not None else np.random.default_rng(0),
        take_counts if take_counts is not None else np.zeros(len(inp.times), np.int64),
    )
    return DeskRun(
        trades=dict(zip(TRADE_FIELDS, trades, strict=True)),
        equity=equity,
        audit=dict(zip(AUDIT_FIELDS, audit, strict=True)),
        taken_per_time=taken,
    )


def _buy_and_hold(inp: _Inputs, agents: list[DeskAgent], p: DeskParams) -> np.ndarray:
    """Equal weight across the symbols, bought at the first window candle's open of each
    symbol's first agent (fee and slippage paid), marked at the last close known at each
    time."""
    per_symbol = p.initial_balance / max(len(inp.symbols), 1)
    curve = np.full(len(inp.times), 0.0)
    slip = p.slippage_bps / 1e4
    seen = set()
    for idx, ag in enumerate(agents):
        if ag.symbol in seen:
            continue
        seen.add(ag.symbol)
        lo_e = inp.ev_bar[inp.ev_agent == idx]
        if not len(lo_e):
            curve += per_symbol
            continue
        first = int(lo_e.min())
        base = int(inp.off[idx])
        px = inp.opens[base + first] * (1 + slip)
        qty = per_symbol / (px * (1 + p.fee_rate))
        close_ms = inp.open_ms[base : inp.hi[idx]] + interval_to_ms(ag.interval)
        closes = inp.closes[base : inp.hi[idx]]
        pos = np.searchsorted(close_ms, inp.times, side="right") - 1
        before = pos < first
        marks = np.where(before, px, closes[np.clip(pos, 0, None)])
        curve += np.where(before, per_symbol, qty * marks)
    return curve


def _summary(run: DeskRun, initial: float) -> dict[str, Any]:
    tr = run.trades
    closed = tr["exit_filled_ms"] >= 0
    pnl = tr["pnl"][closed]
    eq = run.equity
    final = float(eq[-1]) if len(eq) else initial
    peak = np.maximum.accumulate(eq) if len(eq) else eq
    dd = float(np.max((peak - eq) / peak)) * 100 if len(eq) else 0.0
    return {
        "final_equity": final,
        "return_pct": (final / initial - 1.0) * 100.0,
        "max_drawdown_pct": dd,
        "closed_trades": int(closed.sum()),
        "open_positions": int((~closed).sum()),
        "wins": int((pnl > 0).sum()),
        "win_rate": float((pnl > 0).mean()) if len(pnl) else None,
        "fees": float(tr["entry_fee"].sum() + tr["exit_fee"].sum()),
        "decisions_taken": int(run.taken_per_time.sum()),
    }


def curve_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Which points of a curve to keep: all when few, else the first, the last and each
    bucket's min and max of ``values`` (the desk's equity), so drawdowns survive."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    idx = [0, n - 1]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b > a:
            seg = values[a:b]
            idx += [a + int(np.argmin(seg)), a + int(np.argmax(seg))]
    return np.unique(np.asarray(idx))


def run_desk_backtest(
    agents: list[DeskAgent],
    params: DeskParams,
    *,
    start,
    end,
    on_progress=None,
    band_points: int | None = None,
) -> DeskResult:
    """The Mother AI's desk over [start, end] (candle open times), with its baselines.
    ``band_points``: also keep the random runs' equity at that many times (chosen on the
    desk's curve by ``curve_indices``) and report their mean and 5-95% band there."""
    params.validate()
    if not agents:
        raise DeskConfigError("agents", "choose at least one agent")
    if _utc(end) <= _utc(start):
        raise DeskConfigError("end", "must be after start")
    t0 = time.perf_counter()
    agents = sorted(agents, key=lambda a: a.agent_id)
    inp = _prepare(agents, start, end)
    if not len(inp.times):
        raise DeskConfigError("start", "no candles of the agents between start and end")
    desk = _run(inp, params)
    t1 = time.perf_counter()
    if on_progress:
        on_progress(0.3)
    alone = []
    solo = dataclasses.replace(params, top_n=1, min_score=0.0)
    for idx in range(len(agents)):
        one = _prepare([agents[idx]], start, end)
        run = _run(one, solo)
        # on the desk's time grid: the agent's equity is flat between its own closes
        pos = np.searchsorted(one.times, inp.times, side="right") - 1
        if len(one.times):
            run.equity = np.where(
                pos >= 0, run.equity[np.clip(pos, 0, None)], params.initial_balance
            )
        else:  # no candle of this agent in the window: it never trades
            run.equity = np.full(len(inp.times), params.initial_balance)
        alone.append(run)
    t2 = time.perf_counter()
    if on_progress:
        on_progress(0.5)
    finals = np.zeros(params.seeds)
    keep = curve_indices(desk.equity, band_points) if band_points else None
    kept = np.empty((params.seeds, len(keep))) if keep is not None else None
    for r in range(params.seeds):
        run = _run(
            inp, params, mode=1, rng=np.random.default_rng(r), take_counts=desk.taken_per_time
        )
        finals[r] = run.equity[-1]
        if kept is not None:
            kept[r] = run.equity[keep]
        if on_progress and r % 10 == 9:
            on_progress(0.5 + 0.45 * (r + 1) / params.seeds)
    t3 = time.perf_counter()
    bh = _buy_and_hold(inp, agents, params)
    metrics = {
        "desk": _summary(desk, params.initial_balance),
        "buy_and_hold": {
            "final_equity": float(bh[-1]),
            "return_pct": (float(bh[-1]) / params.initial_balance - 1) * 100,
        },
        "agents_alone": [
            {
                "agent_id": a.agent_id,
                "name": a.name,
                "symbol": a.symbol,
                **_summary(run, params.initial_balance),
            }
            for a, run in zip(agents, alone, strict=True)
        ],
        "random": (
            {
                "seeds": int(params.seeds),
                "mean_final_equity": float(finals.mean()),
                "p5_final_equity": float(np.percentile(finals, 5)),
                "p95_final_equity": float(np.percentile(finals, 95)),
                # mid-rank: a tie with a random run counts half
                "desk_percentile": float(
                    ((finals < desk.equity[-1]).mean() + 0.5 * (finals == desk.equity[-1]).mean())
                    * 100
                ),
            }
            if params.seeds
            else None
        ),
    }
    if metrics["random"]:
        final = metrics["desk"]["final_equity"]
        band = metrics["random"]
        # no band: random selection never had another choice than the desk's
        band["band"] = not np.allclose(finals, final, rtol=1e-12, atol=1e-9)
        metrics["random"]["verdict"] = (
            "no random band: random selection had no other choice than the desk's "
            "(never more executable signals than picks at a time)"
            if not band["band"]
            else "above the random band"
            if final > band["p95_final_equity"]
            else "below the random band"
            if final < band["p5_final_equity"]
            else "inside the random band: the ranking adds nothing measurable here"
        )
    return DeskResult(
        params=params,
        agents=agents,
        symbols=inp.symbols,
        times=pd.to_datetime(inp.times, unit="ms", utc=True),
        desk=desk,
        alone=alone,
        buy_and_hold=bh,
        random_final=finals,
        metrics=metrics,
        random_band=(
            {
                "index": keep,
                "mean": kept.mean(axis=0),
                "p5": np.percentile(kept, 5, axis=0),
                "p95": np.percentile(kept, 95, axis=0),
            }
            if kept is not None and params.seeds
            else None
        ),
        timings={
            "desk_seconds": t1 - t0,
            "alone_seconds": t2 - t1,
            "random_seconds": t3 - t2,
            "total_seconds": time.perf_counter() - t0,
        },
    )


__all__ = [
    "AUDIT_FIELDS",
    "BOUNDS",
    "DEFAULTS",
    "TRADE_FIELDS",
    "curve_indices",
    "DeskAgent",
    "DeskConfigError",
    "DeskParams",
    "DeskResult",
    "DeskRun",
    "NO_NEXT_CANDLE",
    "run_desk_backtest",
]
