"""The desk one decision time at a time (SPEC §7a, "Replay"): what the desk backtest's
compiled loop does at a time T, as plain functions for a caller that keeps its state
elsewhere (the replay keeps it in a paper portfolio). Each function calls the rules of
`rules.py` the kernel inlines, so a replay and the desk backtest over the same window take
the same decisions and fills:

- `decision_times`: the union of the agents' close times in [start, end] (`_prepare`);
- `desk_decide`: the candidates at T scored, filtered and ranked (kernel step 2);
- `fill_sequence`: the order waiting orders fill in (`_flush`);
- `fill_price`: an order's price at its fill candle's open (`buy_fill`/`sell_fill`);
- `probability_up_last`: a model's P(up) at the last bar only, equal to the last value of
  `engine.ml.predict_proba_up_series` on the same candles (a replay needs one bar per step);
- `desk_equity`: cash plus the positions at their agents' last closes (kernel step 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.ml.features import build_features

from .backtest import utc_ms
from .rules import (
    BUY,
    SELL,
    TAKEN,
    buy_fill,
    desk_score,
    executable,
    rank_take,
    sell_fill,
    shrunk_win_rate,
)


def decision_times(open_ms: list[np.ndarray], interval_ms: list[int], *, start, end) -> np.ndarray:
    """The sorted, distinct close times (epoch ms) of every agent's candles whose open time
    is in [start, end]: the desk's decision times (`backtest._prepare`)."""
    lo, hi = utc_ms(start), utc_ms(end)
    parts = []
    for om, step in zip(open_ms, interval_ms, strict=True):
        om = np.asarray(om, dtype=np.int64)
        parts.append(om[(om >= lo) & (om <= hi)] + int(step))
    if not parts:
        return np.zeros(0, np.int64)
    return np.unique(np.concatenate(parts)).astype(np.int64)


@dataclass(frozen=True)
class Candidate:
    """One agent's non-hold signal at a decision time, with what the desk knows then: the
    agent whose buy opened the desk's position in the symbol (-1: none), whether an order
    in the symbol waits for its fill, and the agent's closed round trips (exit filled
    before the decision time) and wins among them."""

    agent_id: int
    symbol: str
    action: int  # BUY or SELL
    confidence: float
    held_by: int = -1
    waiting: bool = False
    wins: int = 0
    trades: int = 0


@dataclass(frozen=True)
class Ranked:
    """A candidate's fate at the decision time: its win rate and score, its rank among
    the executable candidates (0: not executable), its status (`rules.STATUS_TEXT`) and,
    when taken, its place among the taken ones (1-based: the order buys fill in)."""

    agent_id: int
    symbol: str
    action: int
    confidence: float
    win_rate: float
    score: float
    rank: int
    status: int
    take_order: int


def desk_decide(
    candidates: list[Candidate],
    *,
    top_n: int,
    min_score: float,
    alpha: float,
    beta: float,
    prior_trades: int,
) -> list[Ranked]:
    """The Mother AI at one decision time (the kernel's step 2, SPEC §7a items 3-5): each
    candidate's shrunk win rate and score, whether it is executable, then `rank_take`.
    Returns one `Ranked` per candidate, in the order given."""
    m = len(candidates)
    if m == 0:
        return []
    if any(c.action not in (BUY, SELL) for c in candidates):
        raise ValueError("a candidate's action must be BUY or SELL (holds are not candidates)")
    symbols = sorted({c.symbol for c in candidates})
    win_rate = np.array(
        [shrunk_win_rate(c.wins, c.trades, int(prior_trades)) for c in candidates], np.float64
    )
    score = np.array(
        [
            desk_score(float(c.confidence), win_rate[j], float(alpha), float(beta))
            for j, c in enumerate(candidates)
        ],
        np.float64,
    )
    status = np.array(
        [executable(c.action, c.agent_id, c.held_by, bool(c.waiting)) for c in candidates],
        np.int8,
    )
    keys = np.array([c.agent_id for c in candidates], np.int64)
    syms = np.array([symbols.index(c.symbol) for c in candidates], np.int64)
    ranks = rank_take(score.copy(), keys, syms, status, int(top_n), float(min_score))
    # The kernel walks the taken ones in rank order: their place is the fill order of buys.
    take_order = np.zeros(m, np.int64)
    n = 0
    for j in np.argsort(ranks, kind="stable"):
        if status[j] == TAKEN:
            n += 1
            take_order[j] = n
    return [
        Ranked(
            agent_id=c.agent_id,
            symbol=c.symbol,
            action=int(c.action),
            confidence=float(c.confidence),
            win_rate=float(win_rate[j]),
            score=float(score[j]),
            rank=int(ranks[j]),
            status=int(status[j]),
            take_order=int(take_order[j]),
        )
        for j, c in enumerate(candidates)
    ]


def fill_sequence(orders: list[tuple[int, int, int, int]]) -> list[int]:
    """The order waiting orders fill in, given (fill time ms, action, decided at ms, take
    order) per order: by fill time, sells before buys, then by decision time and take
    order (`backtest._flush`). Returns the indices into ``orders``."""
    return sorted(
        range(len(orders)),
        key=lambda j: (
            orders[j][0],
            0 if orders[j][1] == SELL else 1,
            orders[j][2],
            orders[j][3],
        ),
    )


def fill_price(action: int, open_: float, slippage_bps: float) -> float:
    """The price an order fills at: the fill candle's open x (1 + slippage) for a buy,
    x (1 - slippage) for a sell (`rules.buy_fill` / `rules.sell_fill`)."""
    slip = float(slippage_bps) / 1e4
    if action == BUY:
        return float(buy_fill(1.0, float(open_), 1.0, 0.0, slip)[0])
    if action == SELL:
        return float(sell_fill(0.0, float(open_), 0.0, 0.0, slip)[0])
    raise ValueError("only a buy or a sell fills")


def probability_up_last(model: Any, candles: pd.DataFrame) -> float:
    """The model's P(up) at the last bar of the candles (NaN where a feature is undefined):
    the last value of `engine.ml.predict_proba_up_series(model, candles)`, computed for
    that one row (the features use the whole history, the prediction one row)."""
    if candles.empty:
        return float("nan")
    X = build_features(candles)
    row = X.iloc[[-1]]
    if not (row.notna().all(axis=1).iloc[0] and np.isfinite(row.to_numpy()).all()):
        return float("nan")
    classes = list(model.classes_)
    proba = model.predict_proba(row.to_numpy())[0]
    up = float(proba[classes.index(1)]) if 1 in classes else 0.0
    return float(np.clip(up, 0.0, 1.0))


def desk_equity(cash: float, holdings: list[tuple[float, float]]) -> float:
    """Cash plus each held quantity at its agent's last close as of the time (kernel
    step 4); ``holdings`` is (quantity, last close) per position."""
    value = float(cash)
    for qty, close in holdings:
        value += float(qty) * float(close)
    return value


__all__ = [
    "Candidate",
    "Ranked",
    "decision_times",
    "desk_decide",
    "desk_equity",
    "fill_price",
    "fill_sequence",
    "probability_up_last",
]
