"""The simulator: one compiled pass over the bars (numba), exactly SPEC §5.

Per bar i, in time order:
1. at the open, a pending next-open order from bar i-1's signal fills;
2. during the bar, an open position's stop-loss / take-profit is checked from the bar
   after its entry on the low/high; both touched means the stop-loss; a gap through the
   level fills at the open;
3. at the close, the signal of bar i acts: it fills at this close (``fill=close``) or
   becomes the pending order for bar i+1's open (``fill=next_open``);
4. equity is marked to market at the close.
Long-only by default; with ``allow_short`` an exit signal opens a short when flat and an
entry signal covers it. A position closed by a signal is not reversed on the same bar.
Fees are charged on both sides of every fill, slippage moves every fill against the
trader, and a position still open at the end is closed at the last close
(``end_of_data``).

Every fill goes through one routine, `_open` or `_close`, so the bookkeeping (fees,
cash, pnl, the trade's row) is written once; the kernel only decides when and at what
price. The helpers are small ``@njit`` functions that LLVM inlines into the loop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

SIGNAL, STOP_LOSS, TAKE_PROFIT, END_OF_DATA = 0, 1, 2, 3
EXIT_REASONS = ("signal", "stop_loss", "take_profit", "end_of_data")
# An order from a bar's signal: open a long (+1) or a short (-1), or close (2).
LONG, SHORT, CLOSE = 1, -1, 2


class SimParams(NamedTuple):
    """The run's parameters as the kernel reads them: fractions, not percentages; 0 turns
    a stop-loss or take-profit off. Bars [lo, hi) are simulated, signals act from warmup."""

    lo: int
    hi: int
    warmup: int
    next_open: bool
    fee: float
    slip: float
    size_frac: float
    sl: float
    tp: float
    allow_short: bool
    initial: float


class Trades(NamedTuple):
    """One row per trade: the entry columns are written when it opens, the exit columns
    when it closes."""

    side: np.ndarray
    entry_i: np.ndarray
    exit_i: np.ndarray
    entry_p: np.ndarray
    exit_p: np.ndarray
    qty: np.ndarray
    entry_fee: np.ndarray
    exit_fee: np.ndarray
    pnl: np.ndarray
    reason: np.ndarray


class Held(NamedTuple):
    """The open position apart from its side (the kernel's ``pos``): kept as it was after
    a close, as only ``pos`` says whether a position is open."""

    qty: float
    price: float
    index: int
    fee: float
    stop: float
    take: float


def trade_capacity(entry, exit_, lo: int, hi: int, warmup: int, allow_short: bool) -> int:
    """An upper bound on the trades of a run: each one opens on a bar with an entry signal
    (or, short, an exit signal) at or after the warm-up. Sizing the trade arrays by it
    rather than by the number of bars avoids touching tens of MB of fresh memory."""
    first = max(lo, warmup)
    if first >= hi:
        return 1
    count = int(np.count_nonzero(entry[first:hi]))
    if allow_short:
        count += int(np.count_nonzero(exit_[first:hi]))
    return count + 1


@njit(cache=True, nogil=True)
def _fill_price(price, buy, slip):
    """Slippage moves every fill against the trader: a buy fills higher, a sell lower."""
    return price * (1.0 + slip) if buy else price * (1.0 - slip)


@njit(cache=True, nogil=True)
def _open(book, k, i, price, side, held, cash, p):
    """Open `side` at `price` (before slippage) with the configured share of the cash,
    the fee paid on top; write the trade's entry columns in row k. Returns the new
    (pos, held, cash); with no cash to allocate nothing opens."""
    px = _fill_price(price, side == LONG, p.slip)
    alloc = cash * p.size_frac
    if not alloc > 0.0:
        return 0, held, cash
    qty = alloc / (px * (1.0 + p.fee))
    fee = qty * px * p.fee
    if side == LONG:
        cash -= qty * px + fee
    else:
        cash += qty * px - fee
    stop = px * (1.0 - p.sl * side) if p.sl > 0.0 else np.nan
    take = px * (1.0 + p.tp * side) if p.tp > 0.0 else np.nan
    if k >= len(book.side):
        raise RuntimeError("more trades than the capacity computed for them")
    book.side[k] = side
    book.entry_i[k] = i
    book.entry_p[k] = px
    book.qty[k] = qty
    book.entry_fee[k] = fee
    return side, Held(qty, px, i, fee, stop, take), cash


@njit(cache=True, nogil=True)
def _close(book, k, i, price, reason, pos, held, cash, p):
    """Close the position at `price` (before slippage), paying the exit fee; write the
    trade's exit columns in row k. Returns the new cash and the next row."""
    px = _fill_price(price, pos == SHORT, p.slip)
    ef = held.qty * px * p.fee
    if pos == LONG:
        cash += held.qty * px - ef
        pnl = held.qty * (px - held.price) - held.fee - ef
    else:
        cash -= held.qty * px + ef
        pnl = held.qty * (held.price - px) - held.fee - ef
    book.exit_i[k] = i
    book.exit_p[k] = px
    book.exit_fee[k] = ef
    book.pnl[k] = pnl
    book.reason[k] = reason
    return cash, k + 1


@njit(cache=True, nogil=True)
def _stop_or_take(pos, held, open_, high, low):
    """Which level the bar reached and its price before slippage, or (-1, 0): the
    stop-loss wins when both are reached (the path inside the bar is unknown, so assume
    the worse); a bar that opens beyond a level fills at the open."""
    stop, take = held.stop, held.take
    if pos == LONG:
        if not np.isnan(stop) and low <= stop:
            return STOP_LOSS, open_ if open_ <= stop else stop
        if not np.isnan(take) and high >= take:
            return TAKE_PROFIT, open_ if open_ >= take else take
    else:
        if not np.isnan(stop) and high >= stop:
            return STOP_LOSS, open_ if open_ >= stop else stop
        if not np.isnan(take) and low <= take:
            return TAKE_PROFIT, open_ if open_ <= take else take
    return -1, 0.0


@njit(cache=True, nogil=True)
def _order(pos, entry, exit_, allow_short):
    """The order a bar's signals give: an exit closes a long and an entry covers a short
    (without reversing on the same bar); when flat an entry opens a long and, if allowed,
    an exit opens a short; otherwise 0."""
    if pos == LONG:
        return CLOSE if exit_ else 0
    if pos == SHORT:
        return CLOSE if entry else 0
    if entry:
        return LONG
    if allow_short and exit_:
        return SHORT
    return 0


@njit(cache=True, nogil=True)
def simulate_bars(o, h, low, c, entry, exit_, p, cap):
    """Simulate the signals over the bars with the parameters `p` (a `SimParams`).
    `cap` bounds the number of trades (see `trade_capacity`): the trade arrays are
    allocated once at that size, so it must never be too small."""
    book = Trades(
        np.zeros(cap, np.int8),
        np.zeros(cap, np.int64),
        np.zeros(cap, np.int64),
        np.zeros(cap),
        np.zeros(cap),
        np.zeros(cap),
        np.zeros(cap),
        np.zeros(cap),
        np.zeros(cap),
        np.zeros(cap, np.int8),
    )
    equity = np.full(len(c), np.nan)
    cash = p.initial
    pos = 0  # +1 long, -1 short, 0 flat
    held = Held(0.0, 0.0, -1, 0.0, 0.0, 0.0)
    pending = 0  # the next open's order (see `_order`)
    k = 0  # the row of the current or next trade

    for i in range(p.lo, p.hi):
        # 1. At the open, the order from the previous bar's close fills.
        if pending == CLOSE and pos != 0:
            cash, k = _close(book, k, i, o[i], SIGNAL, pos, held, cash, p)
            pos = 0
        elif (pending == LONG or pending == SHORT) and pos == 0:
            pos, held, cash = _open(book, k, i, o[i], pending, held, cash, p)
        pending = 0

        # 2. During the bar, stop-loss / take-profit, from the bar after the entry.
        if pos != 0 and i > held.index:
            hit, level = _stop_or_take(pos, held, o[i], h[i], low[i])
            if hit >= 0:
                cash, k = _close(book, k, i, level, hit, pos, held, cash, p)
                pos = 0

        # 3. At the close, this bar's signal fills now or at the next open.
        if i >= p.warmup:
            order = _order(pos, entry[i], exit_[i], p.allow_short)
            if order != 0:
                if p.next_open:
                    pending = order  # on the last bar it never fills: end of data closes
                elif order == CLOSE:
                    cash, k = _close(book, k, i, c[i], SIGNAL, pos, held, cash, p)
                    pos = 0
                else:
                    pos, held, cash = _open(book, k, i, c[i], order, held, cash, p)

        # End of data: a position still open is closed at the last close.
        if i == p.hi - 1 and pos != 0:
            cash, k = _close(book, k, i, c[i], END_OF_DATA, pos, held, cash, p)
            pos = 0

        # 4. Mark to market at the close.
        equity[i] = cash + pos * held.qty * c[i]

    return (
        book.side[:k],
        book.entry_i[:k],
        book.exit_i[:k],
        book.entry_p[:k],
        book.exit_p[:k],
        book.qty[:k],
        book.entry_fee[:k],
        book.exit_fee[:k],
        book.pnl[:k],
        book.reason[:k],
        equity,
    )
