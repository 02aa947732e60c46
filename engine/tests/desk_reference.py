"""A plain-Python reading of SPEC §7a "Desk backtest — exact semantics", written from the
text and nothing else (no numba, no shared helpers), to hold the compiled desk to it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.marketdata import interval_ms


def reference_desk(agents, p, start, end, *, rng=None, take_counts=None):
    """agents: DeskAgent list sorted by id; p: DeskParams. Returns (trades, audit, equity,
    taken_per_time): trades as dicts, audit as (time, agent_id, action, conf, wr, score,
    status_word) tuples, equity per decision time."""
    start_ms = pd.Timestamp(start).value // 1_000_000
    end_ms = pd.Timestamp(end).value // 1_000_000
    fee, slip = p.fee_rate, p.slippage_bps / 1e4
    bars = {}
    for a in agents:
        om = a.candles.index.as_unit("ms").asi8
        inside = [i for i in range(len(om)) if start_ms <= om[i] <= end_ms]
        bars[a.agent_id] = (om, inside)
    # item 1: decision times are the close times of the candles in the window
    due: dict[int, list] = {}
    for a in agents:
        om, inside = bars[a.agent_id]
        for i in inside:
            due.setdefault(int(om[i]) + interval_ms(a.interval), []).append((a, i))
    times = sorted(due)
    cash = p.initial_balance
    held = {}  # symbol -> dict(agent, qty, price, fee, trade)
    waiting = {}  # symbol -> order
    record = {a.agent_id: [0, 0] for a in agents}  # wins, closed
    last_close = {}
    trades, audit, equity, taken_per_time = [], [], [], []

    def fill(order):
        nonlocal cash
        a, j = order["agent"], order["bar"]
        o = float(a.candles["open"].iloc[j])
        s = a.symbol
        if order["action"] == "buy":
            px = o * (1 + slip)
            spend = cash * p.buy_fraction  # notional + fee
            qty = spend / (px * (1 + fee))
            if not qty > 0:
                return
            f = qty * px * fee
            cash -= spend
            t = {
                "agent": a.agent_id,
                "entry_bar": j,
                "entry_price": px,
                "quantity": qty,
                "entry_fee": f,
                "entry_decided": order["T"],
                "exit_bar": -1,
                "exit_price": None,
                "pnl": None,
            }
            trades.append(t)
            held[s] = {"agent": a.agent_id, "qty": qty, "price": px, "trade": t}
        else:
            h = held.pop(s)
            px = o * (1 - slip)
            proceeds = h["qty"] * px * (1 - fee)
            cash += proceeds
            cost = h["qty"] * h["price"] * (1 + fee)
            t = h["trade"]
            t.update(exit_bar=j, exit_price=px, pnl=proceeds - cost)
            record[a.agent_id][1] += 1
            if proceeds > cost:  # item 3: a win
                record[a.agent_id][0] += 1

    def flush(cond):
        # item 6: at one fill time, sells before buys, buys in rank order
        ready = [o for o in waiting.values() if cond(o["fill_ms"])]
        ready.sort(key=lambda o: (o["fill_ms"], o["action"] != "sell", o["T"], o["rank"]))
        for o in ready:
            del waiting[o["agent"].symbol]
            fill(o)

    for t_idx, T in enumerate(times):
        flush(lambda f, T=T: f < T)
        cands = []
        for a, i in due[T]:
            last_close[a.agent_id] = float(a.candles["close"].iloc[i])
            act = int(a.action[i])
            if act == 0:
                continue
            action = "buy" if act == 1 else "sell"
            w, n = record[a.agent_id]
            k = p.prior_trades
            wr = (w + 0.5 * k) / (n + k) if n + k else 0.5
            conf = float(a.confidence[i])
            score = p.alpha * conf + p.beta * wr
            s = a.symbol
            # item 4: executable
            if s in waiting:
                why = "waiting"
            elif action == "buy":
                why = "held" if s in held else None
            elif s not in held:
                why = "not held"
            else:
                why = None if held[s]["agent"] == a.agent_id else "other"
            cands.append(
                {
                    "a": a,
                    "i": i,
                    "action": action,
                    "conf": conf,
                    "wr": wr,
                    "score": score,
                    "why": why,
                }
            )
        execs = [c for c in cands if c["why"] is None]
        taken, symbols = [], set()
        if rng is None:
            # item 5: score descending, ties by agent id
            execs.sort(key=lambda c: (-c["score"], c["a"].agent_id))
            for c in execs:
                if c["score"] < p.min_score:
                    c["why"] = "below"
                elif len(taken) >= p.top_n:
                    c["why"] = "beyond"
                elif c["a"].symbol in symbols:
                    c["why"] = "symbol"
                else:
                    c["why"] = "taken"
                    taken.append(c)
                    symbols.add(c["a"].symbol)
        else:
            # item 8: rng.permutation over the candidates sorted by agent id
            execs.sort(key=lambda c: c["a"].agent_id)
            for j in rng.permutation(len(execs)):
                c = execs[j]
                if len(taken) >= take_counts[t_idx]:
                    c["why"] = "beyond"
                elif c["a"].symbol in symbols:
                    c["why"] = "symbol"
                else:
                    c["why"] = "taken"
                    taken.append(c)
                    symbols.add(c["a"].symbol)
        taken_per_time.append(len(taken))
        for rank, c in enumerate(taken, start=1):
            a = c["a"]
            om, inside = bars[a.agent_id]
            j = c["i"] + 1
            if j <= inside[-1]:  # the next candle, inside the window
                waiting[a.symbol] = {
                    "agent": a,
                    "bar": j,
                    "fill_ms": int(om[j]),
                    "action": c["action"],
                    "T": T,
                    "rank": rank,
                }
        for c in cands:
            audit.append(
                (T, c["a"].agent_id, c["action"], c["conf"], c["wr"], c["score"], c["why"])
            )
        flush(lambda f, T=T: f == T)
        value = cash
        for h in held.values():
            value += h["qty"] * last_close[h["agent"]]
        equity.append(value)
    return trades, audit, np.array(equity), np.array(taken_per_time)
