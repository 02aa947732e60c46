"""The peers' side of bench/engine_vs_peers.py, run with bench/.venv-peers/bin/python.

The same Shape A strategy (RSI(14) < 30 or close crossing above EMA(20) buys; RSI > 70 or
crossing below sells; a bar with both is a hold), next-open fills, 0.1% fee per side:
- backtesting.py: FractionalBacktest, trade_on_close=False, orders from next();
- vectorbt: Portfolio.from_signals on the open, with the signals shifted one bar.
Indicators come from TA-Lib in both, as in the engine. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import talib

warnings.filterwarnings("ignore")


def load(data_dir: Path, n: int) -> pd.DataFrame:
    arr = np.load(data_dir / f"candles_{n}.npz")
    index = pd.to_datetime(arr["t"], unit="ms", utc=True)
    return pd.DataFrame(
        {c: arr[c] for c in ("open", "high", "low", "close", "volume")}, index=index
    )


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


def run_vectorbt(df: pd.DataFrame):
    import vectorbt as vbt

    entry, exit_ = signals(df["close"].to_numpy())
    e = pd.Series(entry, index=df.index).shift(1, fill_value=False)
    x = pd.Series(exit_, index=df.index).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(
        close=df["close"],
        price=df["open"],
        entries=e,
        exits=x,
        fees=0.001,
        init_cash=10_000.0,
        size=np.inf,
        freq="1min",
    )
    rec = pf.trades.records
    closed = rec[rec["status"] == 1]
    return [
        (int(a), int(b)) for a, b in zip(closed["entry_idx"], closed["exit_idx"], strict=True)
    ], float(pf.final_value())


def run_backtesting(df: pd.DataFrame):
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest

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
    bt = FractionalBacktest(
        data, RsiEma, cash=10_000, commission=0.001, trade_on_close=False, finalize_trades=True
    )
    stats = bt.run()
    trades = stats._trades
    return [
        (int(a), int(b)) for a, b in zip(trades["EntryBar"], trades["ExitBar"], strict=True)
    ], float(stats["Equity Final [$]"])


def timed(fn, df, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(df)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--sizes", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--bt-max", type=int, default=1_000_000, help="largest size backtesting.py runs")
    args = p.parse_args()
    data_dir = Path(args.data)
    out = {}
    warm = load(data_dir, min(int(s) for s in args.sizes.split(",")))
    run_vectorbt(warm)  # numba compilation is not part of the timing
    for n in (int(s) for s in args.sizes.split(",")):
        df = load(data_dir, n)
        vt, (vtrades, vfinal) = timed(run_vectorbt, df, args.repeat)
        row = {"vectorbt_seconds": vt, "vectorbt_trades": vtrades, "vectorbt_final": vfinal}
        if n <= args.bt_max:
            bt_repeat = 1 if n >= 500_000 else args.repeat
            bt, (btrades, bfinal) = timed(run_backtesting, df, bt_repeat)
            row.update(
                {
                    "backtesting_seconds": bt,
                    "backtesting_trades": btrades,
                    "backtesting_final": bfinal,
                    "backtesting_repeat": bt_repeat,
                }
            )
        out[str(n)] = row
        print(
            f"peers {n}: vectorbt {vt:.4f}s"
            + (
                f", backtesting.py {row['backtesting_seconds']:.2f}s"
                if "backtesting_seconds" in row
                else ""
            ),
            file=sys.stderr,
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
