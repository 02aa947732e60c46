"""The simulator alone: precomputed SPEC §4 Shape A signals over 1M generated 1-minute
candles, through `engine.backtest.simulate`, in the configurations the peer comparison
does not reach (shorts, stop-loss and take-profit, slippage, fills at the close); best
of several runs, numba warm-up excluded. It shows whether a change to simulate.py kept
the speed.

    python -m bench.simulator [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

from bench.common import machine, random_walk_candles, write_results
from bench.engine_vs_peers import SHAPE_A

CONFIGS = {
    "long only, next open": {},
    "short, stop 0.2%, target 0.3%, 5 bps": {
        "allow_short": True,
        "stop_loss_pct": 0.2,
        "take_profit_pct": 0.3,
        "slippage_bps": 5.0,
        "position_size_pct": 50.0,
    },
    "the same, fills at the close": {
        "fill": "close",
        "allow_short": True,
        "stop_loss_pct": 0.2,
        "take_profit_pct": 0.3,
        "slippage_bps": 5.0,
        "position_size_pct": 50.0,
    },
}


def main(argv: list[str] | None = None) -> dict:
    from engine.backtest import BacktestConfig, simulate
    from engine.strategy import compile_signals, parse_strategy

    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    candles = random_walk_candles(args.rows, seed=11)
    signals = compile_signals(parse_strategy(SHAPE_A), candles, with_strength=False)
    rows = []
    for name, cfg in CONFIGS.items():
        config = BacktestConfig(fee_rate=0.001, **cfg)

        def run(n=None, config=config):
            c = candles if n is None else candles.iloc[:n]
            k = len(c)
            return simulate(c, signals.entry[:k], signals.exit[:k], config, warmup=signals.warmup)

        run(1000)  # numba compilation is not part of the timing
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "config": name,
                "seconds_best": round(min(times), 5),
                "trades": len(result.columns),
                "final_balance": result.metrics["final_balance"],
            }
        )
    data = {"machine": machine(), "rows": args.rows, "repeat": args.repeat, "results": rows}
    lines = [
        "# Simulator alone",
        "",
        f"Shape A signals precomputed, {args.rows:,} generated 1-minute candles, 0.1% fee, "
        f"best of {args.repeat} runs of `engine.backtest.simulate` (kernel, metrics and "
        f"result), numba warm-up excluded. {data['machine']['when']}, "
        f"{data['machine']['cpus']} CPUs, Python {data['machine']['python']}.",
        "",
        "| configuration | seconds | trades |",
        "| --- | ---: | ---: |",
        *(f"| {r['config']} | {r['seconds_best']:.5f} | {r['trades']} |" for r in rows),
    ]
    write_results("simulator", data, "\n".join(lines))
    print("\n".join(lines))
    return data


if __name__ == "__main__":
    main()
