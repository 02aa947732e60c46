"""The engine against backtesting.py and vectorbt, side by side in one run.

The SPEC §4 Shape A strategy (RSI(14) + EMA(20)), next-open fills, 0.1% fee per side, on
10k, 100k and 1M generated 1-minute candles. Each tool computes its own indicators and
signals; compilation warm-up (numba) is excluded; medians of several runs. The trades
are compared: the three must open and close on the same bars.

    python -m bench.engine_vs_peers [--sizes 10000,100000,1000000] [--repeat 5]

The peers run in bench/.venv-peers (bench/requirements-peers.txt), created on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import machine, random_walk_candles, write_results

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".venv-peers"
SHAPE_A = {
    "symbol": "BENCH",
    "indicators": {
        "rsi": {"period": 14, "buy_below": 30, "sell_above": 70},
        "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
    },
}


def ensure_peers() -> Path:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "-r",
                str(ROOT / "bench" / "requirements-peers.txt"),
            ],
            check=True,
        )
    return python


def engine_run(df):
    from engine.backtest import BacktestConfig, run_backtest
    from engine.strategy import parse_strategy

    return run_backtest(df, parse_strategy(SHAPE_A), BacktestConfig(fee_rate=0.001), interval="1m")


def trade_bars(result) -> list[tuple[int, int, str]]:
    from engine.backtest import EXIT_REASONS

    c = result.columns
    return [
        (int(a), int(b), EXIT_REASONS[int(r)])
        for a, b, r in zip(c.entry_index, c.exit_index, c.reason, strict=True)
    ]


def _prefix(a: list, b: list) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--bt-max", type=int, default=1_000_000)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    python = ensure_peers()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        frames = {}
        for n in sizes:
            df = random_walk_candles(n, seed=11)
            frames[n] = df
            np.savez(
                Path(tmp) / f"candles_{n}.npz",
                t=df.index.as_unit("ms").asi8,
                **{c: df[c].to_numpy() for c in df.columns},
            )
        engine_run(frames[sizes[0]])  # numba compilation is not part of the timing
        for n in sizes:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = engine_run(frames[n])
                times.append(time.perf_counter() - t0)
            trades = trade_bars(result)
            results[n] = {
                "engine_seconds": statistics.median(times),
                "engine_trades": trades,
                "engine_final": result.metrics["final_balance"],
            }
            print(
                f"engine {n}: {results[n]['engine_seconds']:.4f}s, {len(trades)} trades",
                file=sys.stderr,
            )
        peers = subprocess.run(
            [
                str(python),
                "-m",
                "bench.peers",
                "--data",
                tmp,
                "--sizes",
                args.sizes,
                "--repeat",
                str(args.repeat),
                "--bt-max",
                str(args.bt_max),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if peers.returncode:
            raise SystemExit(peers.stderr[-3000:])
        sys.stderr.write(peers.stderr)
        for n, row in json.loads(peers.stdout.strip().splitlines()[-1]).items():
            results[int(n)].update(row)

    rows = []
    for n in sizes:
        r = results[n]
        # vectorbt leaves the last position open (not a trade); the engine closes it at the end.
        engine_all = [(t[0], t[1]) for t in r["engine_trades"]]
        engine_closed = [(t[0], t[1]) for t in r["engine_trades"] if t[2] != "end_of_data"]
        vbt = [tuple(t) for t in r["vectorbt_trades"]]
        bt = [tuple(t) for t in r.get("backtesting_trades", [])]
        row = {
            "candles": n,
            "engine_s": round(r["engine_seconds"], 5),
            "vectorbt_s": round(r["vectorbt_seconds"], 5),
            "backtesting_s": round(r["backtesting_seconds"], 4)
            if "backtesting_seconds" in r
            else None,
            "vs_vectorbt": round(r["vectorbt_seconds"] / r["engine_seconds"], 2),
            "vs_backtesting": round(r["backtesting_seconds"] / r["engine_seconds"], 1)
            if "backtesting_seconds" in r
            else None,
            "trades": len(r["engine_trades"]),
            "same_trades_as_vectorbt": engine_closed == vbt,
            "same_trades_as_backtesting": (engine_all == bt) if "backtesting_trades" in r else None,
            "matching_prefix_backtesting": _prefix(engine_all, bt)
            if "backtesting_trades" in r
            else None,
            "final_balance": {
                "engine": r["engine_final"],
                "vectorbt": round(r["vectorbt_final"], 2),
                "backtesting": round(r["backtesting_final"], 2)
                if "backtesting_final" in r
                else None,
            },
        }
        rows.append(row)
    per_candle = [r["engine_s"] / r["candles"] for r in rows]
    data = {
        "benchmark": "engine_vs_peers",
        "machine": machine(),
        "strategy": SHAPE_A,
        "assumptions": "next-open fills, 0.1% fee per side, all equity per trade, TA-Lib indicators in every tool",
        "rows": rows,
        "linearity": {"seconds_per_million_candles": [round(x * 1e6, 3) for x in per_candle]},
    }
    md = [
        "# Backtest engine vs backtesting.py and vectorbt",
        "",
        f"Shape A RSI(14)+EMA(20), next-open fills, 0.1% fee, generated 1-minute candles; medians of {args.repeat} runs "
        f"(backtesting.py once at 500k+), numba warm-up excluded. {data['machine']['when']}, {data['machine']['cpus']} CPUs, "
        f"Python {data['machine']['python']}.",
        "",
        "| candles | engine s | vectorbt s | backtesting.py s | engine vs vectorbt | engine vs backtesting.py | trades | same trades (vbt / bt.py) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        md.append(
            f"| {r['candles']:,} | {r['engine_s']} | {r['vectorbt_s']} | {r['backtesting_s']} | {r['vs_vectorbt']}x | "
            f"{r['vs_backtesting']}x | {r['trades']} | {r['same_trades_as_vectorbt']} / {r['same_trades_as_backtesting']} |"
        )
    md += [
        "",
        f"Engine seconds per million candles at each size: {data['linearity']['seconds_per_million_candles']} (linear when flat).",
    ]
    write_results("engine_vs_peers", data, "\n".join(md))
    print("\n".join(md))
    return data


if __name__ == "__main__":
    main()
