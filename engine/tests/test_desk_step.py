"""engine/desk/step.py: stepping the desk one decision time at a time with its functions
(what the replay does with a paper portfolio) reproduces the desk backtest's kernel
decision for decision and fill for fill, on random agents with mixed intervals and gaps."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from engine.desk import BUY, HOLD, SELL, DeskAgent, DeskParams, run_desk_backtest
from engine.desk.rules import TAKEN, buy_fill, round_trip_won, sell_fill
from engine.desk.step import (
    Candidate,
    decision_times,
    desk_decide,
    desk_equity,
    fill_price,
    fill_sequence,
)

HOUR = 3_600_000


def _agent(rng, agent_id: int, symbol: str, interval: str, step: int, n: int) -> DeskAgent:
    om = np.arange(n, dtype=np.int64) * step + 1_600_000_000_000 - 1_600_000_000_000 % step
    keep = rng.random(n) > 0.05  # gaps
    om = om[keep]
    m = len(om)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, m)))
    opens = np.r_[100.0, close[:-1]] * (1 + rng.normal(0, 0.001, m))
    idx = pd.to_datetime(om, unit="ms", utc=True)
    candles = pd.DataFrame(
        {"open": opens, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1.0},
        index=idx,
    )
    action = rng.choice([HOLD, BUY, SELL], size=m, p=[0.5, 0.3, 0.2]).astype(np.int8)
    return DeskAgent(agent_id, f"a{agent_id}", symbol, interval, candles, action, rng.random(m))


def _step_through(agents: list[DeskAgent], p: DeskParams, start, end):
    """The desk at each decision time from step.py's functions, state in plain Python."""
    ims = [{"1h": HOUR, "2h": 2 * HOUR}[a.interval] for a in agents]
    oms = [a.candles.index.as_unit("ms").asi8 for a in agents]
    end_ms = int(pd.Timestamp(end).value // 1_000_000)
    start_ms = int(pd.Timestamp(start).value // 1_000_000)
    times = decision_times(oms, ims, start=start, end=end)
    cash, fee, slip = p.initial_balance, p.fee_rate, p.slippage_bps / 1e4
    pos: dict[str, dict] = {}
    pending: list[dict] = []
    wins: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    last_close: dict[int, float] = {}
    entries, audit, equity = [], [], []

    def flush(due_now):
        nonlocal cash
        due = [o for o in pending if due_now(o["fill"])]
        for j in fill_sequence([(o["fill"], o["action"], o["decided"], o["take"]) for o in due]):
            o = due[j]
            pending.remove(o)
            if o["action"] == BUY:
                px, qty, paid, after = buy_fill(cash, o["open"], p.buy_fraction, fee, slip)
                assert px == fill_price(BUY, o["open"], p.slippage_bps)
                if qty > 0:
                    cash = after
                    pos[o["symbol"]] = {"agent": o["agent"], "qty": qty, "px": px}
                    entries.append((o["agent"], o["fill"], px, qty))
            else:
                h = pos.pop(o["symbol"])
                px, paid, cash = sell_fill(cash, o["open"], h["qty"], fee, slip)
                counts[o["agent"]] += 1
                wins[o["agent"]] += bool(round_trip_won(h["px"], px, h["qty"], fee))

    for T in times:
        flush(lambda f, T=T: f < T)
        cands, bars = [], {}
        for a, om, im in zip(agents, oms, ims, strict=True):
            i = int(np.searchsorted(om, T - im))
            if i >= len(om) or om[i] != T - im or not start_ms <= om[i] <= end_ms:
                continue
            last_close[a.agent_id] = float(a.candles["close"].iloc[i])
            if a.action[i] == HOLD:
                continue
            held = pos.get(a.symbol)
            bars[a.agent_id] = (a, om, i)
            cands.append(
                Candidate(
                    agent_id=a.agent_id,
                    symbol=a.symbol,
                    action=int(a.action[i]),
                    confidence=float(a.confidence[i]),
                    held_by=held["agent"] if held else -1,
                    waiting=any(o["symbol"] == a.symbol for o in pending),
                    wins=wins[a.agent_id],
                    trades=counts[a.agent_id],
                )
            )
        ranked = desk_decide(
            cands,
            top_n=p.top_n,
            min_score=p.min_score,
            alpha=p.alpha,
            beta=p.beta,
            prior_trades=p.prior_trades,
        )
        audit += [(T, r.agent_id, r.score, r.rank, r.status) for r in ranked]
        for r in sorted((r for r in ranked if r.status == TAKEN), key=lambda r: r.take_order):
            a, om, i = bars[r.agent_id]
            if i + 1 < len(om) and om[i + 1] <= end_ms:
                pending.append(
                    {
                        "symbol": a.symbol,
                        "agent": a.agent_id,
                        "action": r.action,
                        "fill": int(om[i + 1]),
                        "open": float(a.candles["open"].iloc[i + 1]),
                        "decided": int(T),
                        "take": r.take_order,
                    }
                )
        flush(lambda f, T=T: f == T)
        equity.append(desk_equity(cash, [(h["qty"], last_close[h["agent"]]) for h in pos.values()]))
    return entries, audit, np.array(equity)


@pytest.mark.parametrize("seed", range(6))
def test_stepping_equals_the_desk_backtest(seed):
    rng = np.random.default_rng(seed)
    agents = [
        _agent(rng, 3, "AAA", "1h", HOUR, 400),
        _agent(rng, 7, "BBB", "2h", 2 * HOUR, 200),
        _agent(rng, 9, "CCC", "1h", HOUR, 400),
    ]
    p = DeskParams(
        top_n=int(rng.integers(1, 3)),
        min_score=float(rng.uniform(0.2, 0.6)),
        buy_fraction=0.3,
        slippage_bps=5.0,
        prior_trades=2,
        seeds=0,
    )
    start = pd.Timestamp(agents[0].candles.index[50])
    end = pd.Timestamp(agents[0].candles.index[-30])
    result = run_desk_backtest(agents, p, start=start, end=end)
    entries, audit, equity = _step_through(agents, p, start, end)
    au = result.desk.audit
    ids = [a.agent_id for a in agents]
    assert [(t, a) for t, a, *_ in audit] == [
        (int(t), ids[a]) for t, a in zip(au["time_ms"], au["agent"], strict=True)
    ]
    assert np.allclose([s for *_, s, _, _ in audit], au["score"], rtol=0, atol=1e-12)
    assert [r for *_, r, _ in audit] == au["rank"].tolist()
    assert [s for *_, s in audit] == au["status"].tolist()
    tr = result.desk.trades
    assert [(a, f) for a, f, _, _ in entries] == [
        (ids[a], int(f)) for a, f in zip(tr["agent"], tr["entry_filled_ms"], strict=True)
    ]
    assert np.allclose([q for *_, q in entries], tr["quantity"], rtol=1e-12)
    assert len(entries) > 3 and np.allclose(equity, result.desk.equity, rtol=1e-12)
