"""The peers' side of bench/engine_vs_peers.py: the same Shape A backtest in vectorbt
(Rust and numba engines) and backtesting.py, configured to do the engine's work.

The strategy: RSI(14) < 30 or close crossing above EMA(20) buys; RSI > 70 or crossing below
sells; a bar with both is a hold. Next-open fills, the same fee per side, all equity per
trade (quantity = equity / (price x (1 + fee)), fractional), the last position closed at the
last close. Indicators come from TA-Lib in every tool, as in the engine.

What "the same work" takes, beyond the obvious:
- vectorbt: ``min_size=0`` (its default 1e-8 refuses the small orders of a shrunken
  account), signals shifted one bar and ``price=open`` for next-open fills, ``size=inf``
  (all cash, fee included). It keeps the last position open (status 0): only that
  trade's entry is compared.
- backtesting.py: ``Backtest`` with ``trade_on_close=False`` (orders from ``next()`` fill at
  the next open) and ``finalize_trades=True``, which closes the last position at the last
  bar's open, not its close: only that trade's entry is compared. It trades whole
  units, so the starting cash must dwarf the price: at 1e15 the unit rounding is ~1e-13 of
  a trade, and each trade's return on cost (which does not depend on the quantity) is
  compared.

Each runner returns a ``PeerRun``: per-trade entry/exit bars and prices, return on cost,
and the final balance. Install the peers with ``pip install -r bench/requirements-peers.txt``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import pandas as pd
import talib

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar

PEER_PACKAGES = ("vectorbt", "vectorbt-rust", "backtesting", "TA-Lib", "numba", "numpy", "pandas")


def versions() -> dict[str, str | None]:
    """Installed versions (pip metadata) of the peers and the libraries they share."""
    out: dict[str, str | None] = {}
    for name in PEER_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@dataclass
class PeerRun:
    entry_index: np.ndarray
    exit_index: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    return_on_cost: np.ndarray  # P&L / (quantity x entry price + entry fee)
    final_balance: float
    # How the peer ends a position still open at the last bar, where that is not the
    # engine's close at the last close (then only that trade's entry is compared).
    end_of_data: str | None = None


def signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rsi = talib.RSI(close, 14)
    ema = talib.EMA(close, 20)
    prev_c = np.concatenate(([np.nan], close[:-1]))
    prev_e = np.concatenate(([np.nan], ema[:-1]))
    with np.errstate(invalid="ignore"):
        cross_up = (prev_c <= prev_e) & (close > ema)
        cross_dn = (prev_c >= prev_e) & (close < ema)
        defined = ~np.isnan(rsi) & ~np.isnan(ema) & ~np.isnan(prev_e)
        entry = ((rsi < 30) | cross_up) & defined
        exit_ = ((rsi > 70) | cross_dn) & defined
    both = entry & exit_
    return entry & ~both, exit_ & ~both


def run_vectorbt(df: pd.DataFrame, *, cash: float, fee: float, engine: str) -> PeerRun:
    import vectorbt as vbt

    entry, exit_ = signals(df["close"].to_numpy())
    # The signal of bar i fills at bar i+1's open.
    e = np.concatenate(([False], entry[:-1]))
    x = np.concatenate(([False], exit_[:-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf = vbt.Portfolio.from_signals(
            close=df["close"].to_numpy(),
            price=df["open"].to_numpy(),
            entries=e,
            exits=x,
            fees=fee,
            init_cash=cash,
            size=np.inf,
            min_size=0.0,
            engine=engine,
        )
        rec = pf.trades.values
        final = float(pf.final_value())
    cost = rec["size"] * rec["entry_price"] + rec["entry_fees"]
    return PeerRun(
        entry_index=rec["entry_idx"].astype(np.int64),
        exit_index=rec["exit_idx"].astype(np.int64),
        entry_price=rec["entry_price"],
        exit_price=rec["exit_price"],
        return_on_cost=rec["pnl"] / cost,
        final_balance=final,
        end_of_data="left open" if len(rec) and rec["status"][-1] == 0 else None,
    )


def run_backtesting(df: pd.DataFrame, *, cash: float, fee: float) -> PeerRun:
    from backtesting import Backtest, Strategy

    entry, exit_ = signals(df["close"].to_numpy())

    class RsiEma(Strategy):
        def init(self):
            self.entry = self.I(lambda: entry, name="entry")
            self.exit_ = self.I(lambda: exit_, name="exit")

        def next(self):
            if not self.position and self.entry[-1]:
                self.buy()
            elif self.position and self.exit_[-1]:
                self.position.close()

    data = df.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(
            data, RsiEma, cash=cash, commission=fee, trade_on_close=False, finalize_trades=True
        )
        stats = bt.run()
    t = stats._trades
    size = t["Size"].to_numpy(dtype=float)
    entry_price = t["EntryPrice"].to_numpy(dtype=float)
    return PeerRun(
        entry_index=t["EntryBar"].to_numpy(dtype=np.int64),
        exit_index=t["ExitBar"].to_numpy(dtype=np.int64),
        entry_price=entry_price,
        exit_price=t["ExitPrice"].to_numpy(dtype=float),
        return_on_cost=t["PnL"].to_numpy(dtype=float) / (size * entry_price * (1 + fee)),
        final_balance=float(stats["Equity Final [$]"]),
        # finalize_trades closes with a market order, filled at the last bar's open.
        end_of_data="closed at the last open"
        if bool(t["ExitBar"].iloc[-1] == len(df) - 1)
        else None,
    )
