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
"""

from __future__ import annotations

import numpy as np
from numba import njit

SIGNAL, STOP_LOSS, TAKE_PROFIT, END_OF_DATA = 0, 1, 2, 3
EXIT_REASONS = ("signal", "stop_loss", "take_profit", "end_of_data")


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
def simulate_bars(
    o,
    h,
    low,
    c,
    entry,
    exit_,
    lo,
    hi,
    warmup,
    next_open,
    fee,
    slip,
    size_frac,
    sl,
    tp,
    allow_short,
    initial,
    cap,
):
    """`cap` bounds the number of trades (see `trade_capacity`): the trade arrays are
    allocated once at that size, so it must never be too small."""
    n = len(c)
    t_side = np.zeros(cap, np.int8)
    t_entry_i = np.zeros(cap, np.int64)
    t_exit_i = np.zeros(cap, np.int64)
    t_entry_p = np.zeros(cap)
    t_exit_p = np.zeros(cap)
    t_qty = np.zeros(cap)
    t_entry_fee = np.zeros(cap)
    t_exit_fee = np.zeros(cap)
    t_pnl = np.zeros(cap)
    t_reason = np.zeros(cap, np.int8)
    equity = np.full(n, np.nan)

    cash = initial
    pos = 0  # +1 long, -1 short
    qty = 0.0
    entry_p = 0.0
    entry_i = -1
    entry_fee = 0.0
    stop = 0.0
    take = 0.0
    pending = 0  # next-open order: +1 buy long, -1 sell short, 2 close
    k = 0

    for i in range(lo, hi):
        # 1. The open: pending order from the previous bar's close.
        if pending != 0:
            if pending == 2 and pos != 0:
                px = o[i] * (1.0 - slip) if pos == 1 else o[i] * (1.0 + slip)
                ef = qty * px * fee
                if pos == 1:
                    cash += qty * px - ef
                    pnl = qty * (px - entry_p) - entry_fee - ef
                else:
                    cash -= qty * px + ef
                    pnl = qty * (entry_p - px) - entry_fee - ef
                t_exit_i[k] = i
                t_exit_p[k] = px
                t_exit_fee[k] = ef
                t_pnl[k] = pnl
                t_reason[k] = SIGNAL
                k += 1
                pos = 0
            elif (pending == 1 or pending == -1) and pos == 0:
                side = pending
                px = o[i] * (1.0 + slip) if side == 1 else o[i] * (1.0 - slip)
                alloc = cash * size_frac
                if alloc > 0.0:
                    qty = alloc / (px * (1.0 + fee))
                    entry_fee = qty * px * fee
                    if side == 1:
                        cash -= qty * px + entry_fee
                    else:
                        cash += qty * px - entry_fee
                    pos = side
                    entry_p = px
                    entry_i = i
                    stop = px * (1.0 - sl * side) if sl > 0.0 else np.nan
                    take = px * (1.0 + tp * side) if tp > 0.0 else np.nan
                    if k >= cap:
                        raise RuntimeError("more trades than the capacity computed for them")
                    t_side[k] = side
                    t_entry_i[k] = i
                    t_entry_p[k] = px
                    t_qty[k] = qty
                    t_entry_fee[k] = entry_fee
            pending = 0

        # 2. Intrabar stop-loss / take-profit, from the bar after entry.
        if pos != 0 and i > entry_i:
            hit = -1
            px = 0.0
            if pos == 1:
                if not np.isnan(stop) and low[i] <= stop:
                    hit = STOP_LOSS
                    px = o[i] if o[i] <= stop else stop
                elif not np.isnan(take) and h[i] >= take:
                    hit = TAKE_PROFIT
                    px = o[i] if o[i] >= take else take
                if hit >= 0:
                    px *= 1.0 - slip
            else:
                if not np.isnan(stop) and h[i] >= stop:
                    hit = STOP_LOSS
                    px = o[i] if o[i] >= stop else stop
                elif not np.isnan(take) and low[i] <= take:
                    hit = TAKE_PROFIT
                    px = o[i] if o[i] <= take else take
                if hit >= 0:
                    px *= 1.0 + slip
            if hit >= 0:
                ef = qty * px * fee
                if pos == 1:
                    cash += qty * px - ef
                    pnl = qty * (px - entry_p) - entry_fee - ef
                else:
                    cash -= qty * px + ef
                    pnl = qty * (entry_p - px) - entry_fee - ef
                t_exit_i[k] = i
                t_exit_p[k] = px
                t_exit_fee[k] = ef
                t_pnl[k] = pnl
                t_reason[k] = hit
                k += 1
                pos = 0
                pending = 0

        # 3. The close: this bar's signal.
        if i >= warmup and i < hi:
            closed_on_signal = False
            if pos == 1 and exit_[i]:
                if next_open:
                    if i + 1 < hi:
                        pending = 2
                else:
                    px = c[i] * (1.0 - slip)
                    ef = qty * px * fee
                    cash += qty * px - ef
                    t_exit_i[k] = i
                    t_exit_p[k] = px
                    t_exit_fee[k] = ef
                    t_pnl[k] = qty * (px - entry_p) - entry_fee - ef
                    t_reason[k] = SIGNAL
                    k += 1
                    pos = 0
                    closed_on_signal = True
            elif pos == -1 and entry[i]:
                if next_open:
                    if i + 1 < hi:
                        pending = 2
                else:
                    px = c[i] * (1.0 + slip)
                    ef = qty * px * fee
                    cash -= qty * px + ef
                    t_exit_i[k] = i
                    t_exit_p[k] = px
                    t_exit_fee[k] = ef
                    t_pnl[k] = qty * (entry_p - px) - entry_fee - ef
                    t_reason[k] = SIGNAL
                    k += 1
                    pos = 0
                    closed_on_signal = True
            elif pos == 0 and pending == 0 and not closed_on_signal:
                side = 0
                if entry[i]:
                    side = 1
                elif allow_short and exit_[i]:
                    side = -1
                if side != 0:
                    if next_open:
                        if i + 1 < hi:
                            pending = side
                    else:
                        px = c[i] * (1.0 + slip) if side == 1 else c[i] * (1.0 - slip)
                        alloc = cash * size_frac
                        if alloc > 0.0:
                            qty = alloc / (px * (1.0 + fee))
                            entry_fee = qty * px * fee
                            if side == 1:
                                cash -= qty * px + entry_fee
                            else:
                                cash += qty * px - entry_fee
                            pos = side
                            entry_p = px
                            entry_i = i
                            stop = px * (1.0 - sl * side) if sl > 0.0 else np.nan
                            take = px * (1.0 + tp * side) if tp > 0.0 else np.nan
                            if k >= cap:
                                raise RuntimeError("more trades than the capacity computed")
                            t_side[k] = side
                            t_entry_i[k] = i
                            t_entry_p[k] = px
                            t_qty[k] = qty
                            t_entry_fee[k] = entry_fee

        # End of data: close at the last close.
        if i == hi - 1 and pos != 0:
            px = c[i] * (1.0 - slip) if pos == 1 else c[i] * (1.0 + slip)
            ef = qty * px * fee
            if pos == 1:
                cash += qty * px - ef
                pnl = qty * (px - entry_p) - entry_fee - ef
            else:
                cash -= qty * px + ef
                pnl = qty * (entry_p - px) - entry_fee - ef
            t_exit_i[k] = i
            t_exit_p[k] = px
            t_exit_fee[k] = ef
            t_pnl[k] = pnl
            t_reason[k] = END_OF_DATA
            k += 1
            pos = 0

        # 4. Mark to market at the close.
        equity[i] = cash + pos * qty * c[i]

    return (
        t_side[:k],
        t_entry_i[:k],
        t_exit_i[:k],
        t_entry_p[:k],
        t_exit_p[:k],
        t_qty[:k],
        t_entry_fee[:k],
        t_exit_fee[:k],
        t_pnl[:k],
        t_reason[:k],
        equity,
    )
