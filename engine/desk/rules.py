"""The desk's rules, written once (SPEC §7a): the shrunk win rate, the score, which signals
are executable, the ranking that takes the top N, and the fills. Small ``@njit`` functions:
the desk backtest's compiled loop inlines them, and the live services and the replay call
the very same functions from Python (a numba function is an ordinary callable there).
"""

from __future__ import annotations

import numpy as np
from numba import njit

HOLD, BUY, SELL = 0, 1, 2
ACTIONS = ("hold", "buy", "sell")

# What happened to a candidate at a decision time (the audit's ``status``).
TAKEN = 0
BELOW_MIN_SCORE = 1
BEYOND_TOP_N = 2
SYMBOL_TAKEN = 3  # another action on the same symbol was taken at this time
NOT_HELD = 4  # a sell with no position in the symbol
HELD_BY_OTHER = 5  # a sell of a position another agent opened
ALREADY_HELD = 6  # a buy of a symbol the desk holds
ORDER_WAITING = 7  # the symbol has an order waiting for its fill
STALE = 8  # live only: the signal's last candle is too old
STATUS_TEXT = (
    "taken",
    "score below min_score",
    "beyond top_n",
    "an action on this symbol was already taken",
    "nothing to sell: no position in the symbol",
    "the position was opened by another agent",
    "the symbol is already held",
    "the symbol has an order waiting for its fill",
    "stale data",
)

# What became of a taken action's fill.
FILL_PENDING, FILLED, NO_NEXT_CANDLE, NO_CASH = 0, 1, 2, 3
FILL_TEXT = ("waiting for the next candle", "filled", "no next candle", "no cash to buy with")


@njit(cache=True, nogil=True)
def shrunk_win_rate(wins, trades, prior_trades):
    """(w + 0.5 k) / (n + k): a short record is pulled toward 0.5."""
    if trades + prior_trades == 0:
        return 0.5
    return (wins + 0.5 * prior_trades) / (trades + prior_trades)


@njit(cache=True, nogil=True)
def desk_score(confidence, win_rate, alpha, beta):
    return alpha * confidence + beta * win_rate


@njit(cache=True, nogil=True)
def executable(action, agent, held_by, waiting):
    """TAKEN when the action can be executed on this symbol, else why not. ``held_by`` is
    the agent whose buy opened the desk's position in the symbol (-1: none); ``waiting``
    says whether an order in the symbol waits for its fill."""
    if waiting:
        return ORDER_WAITING
    if action == BUY:
        return ALREADY_HELD if held_by >= 0 else TAKEN
    if held_by < 0:
        return NOT_HELD
    return TAKEN if held_by == agent else HELD_BY_OTHER


@njit(cache=True, nogil=True)
def rank_take(scores, keys, symbols, status, top_n, min_score):
    """Rank the executable candidates (``status == TAKEN`` on entry) by score descending,
    ties by ``keys`` (the agent ids) ascending, and walk that order: take those with
    score >= min_score until top_n are taken, skipping one whose symbol already has an
    action taken. Writes each candidate's status; returns the ranks (1-based, 0 for a
    candidate that was not executable)."""
    n = len(scores)
    order = np.argsort(keys, kind="mergesort")
    order = order[np.argsort(-scores[order], kind="mergesort")]
    ranks = np.zeros(n, np.int64)
    taken_symbols = np.empty(n, np.int64)
    taken = 0
    rank = 0
    for j in range(n):
        c = order[j]
        if status[c] != TAKEN:
            continue
        rank += 1
        ranks[c] = rank
        if scores[c] < min_score:
            status[c] = BELOW_MIN_SCORE
        elif taken >= top_n:
            status[c] = BEYOND_TOP_N
        elif _in(taken_symbols, taken, symbols[c]):
            status[c] = SYMBOL_TAKEN
        else:
            taken_symbols[taken] = symbols[c]
            taken += 1
    return ranks


@njit(cache=True, nogil=True)
def random_take(rng, keys, symbols, status, count):
    """The random-selection baseline's pick at one time: the executable candidates
    (``status == TAKEN``) sorted by ``keys`` are walked in ``rng.permutation`` order,
    taking ``count`` of them with the same one-per-symbol rule; the rest are marked
    BEYOND_TOP_N or SYMBOL_TAKEN. Returns the pick order (1-based; 0: not taken), which
    stands for the rank when fills are ordered."""
    idx = np.argsort(keys, kind="mergesort")
    cand = np.empty(len(idx), np.int64)
    m = 0
    for j in range(len(idx)):
        if status[idx[j]] == TAKEN:
            cand[m] = idx[j]
            m += 1
    perm = rng.permutation(m)
    taken_symbols = np.empty(max(m, 1), np.int64)
    order = np.zeros(len(keys), np.int64)
    taken = 0
    for j in range(m):
        c = cand[perm[j]]
        if taken >= count:
            status[c] = BEYOND_TOP_N
        elif _in(taken_symbols, taken, symbols[c]):
            status[c] = SYMBOL_TAKEN
        else:
            taken_symbols[taken] = symbols[c]
            taken += 1
            order[c] = taken
    return order


@njit(cache=True, nogil=True)
def _in(values, n, x):
    for j in range(n):
        if values[j] == x:
            return True
    return False


@njit(cache=True, nogil=True)
def buy_fill(cash, open_, buy_fraction, fee, slippage):
    """A buy at the open: price = open x (1 + slippage); quantity = cash x buy_fraction /
    (price x (1 + fee)); returns (price, quantity, fee paid, cash after). The buy spends
    exactly cash x buy_fraction (notional plus fee), so a buy fraction of 1 leaves no cash
    at all rather than a float residue a later buy would spend on dust."""
    px = open_ * (1.0 + slippage)
    alloc = cash * buy_fraction
    if not alloc > 0.0 or not px > 0.0:
        return px, 0.0, 0.0, cash
    qty = alloc / (px * (1.0 + fee))
    paid = qty * px * fee
    return px, qty, paid, cash - alloc


@njit(cache=True, nogil=True)
def sell_fill(cash, open_, quantity, fee, slippage):
    """A sell of the whole position at the open: price = open x (1 - slippage); cash +=
    quantity x price x (1 - fee); returns (price, fee paid, cash after)."""
    px = open_ * (1.0 - slippage)
    paid = quantity * px * fee
    return px, paid, cash + (quantity * px - paid)


@njit(cache=True, nogil=True)
def round_trip_won(entry_price, exit_price, quantity, fee):
    """A win: the exit's proceeds after fee exceed the entry's cost after fee (both prices
    already carry their slippage)."""
    return quantity * exit_price * (1.0 - fee) > quantity * entry_price * (1.0 + fee)
