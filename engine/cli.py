"""The engine on the command line, without Django:

python -m engine backtest --candles FILE.csv --strategy STRATEGY.json [--json] ...
python -m engine indicators --candles FILE.csv --spec rsi:14,ema:20,macd:12:26:9 [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from engine.backtest import FILLS, BacktestConfig, ConfigError, run_backtest
from engine.indicators import INDICATORS, compute, parse_spec
from engine.marketdata import CandleFileError, read_candles
from engine.strategy import FieldError, StrategyError, parse_strategy


def _candles(path: str, interval: str | None) -> tuple[pd.DataFrame, str]:
    cf = read_candles(path, interval=interval)
    if not cf.ok:
        first = cf.rejected[0]
        raise CandleFileError(
            f"{cf.rejected_count} bad row(s); first: line {first.line}: {first.reason}"
        )
    return cf.frame, cf.interval


def _ts(value: str | None, field: str):
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(field, f"not a date: {value!r}") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _params(given: list[str]) -> dict[str, float | str]:
    """``--param slow=30`` (repeatable) -> {"slow": 30}; a value that is not a number is
    passed on as written, for the strategy language to refuse naming the parameter."""
    out: dict[str, float | str] = {}
    for item in given or ():
        name, sep, value = item.partition("=")
        if not sep:
            raise StrategyError([FieldError(f"params.{name}", "write --param NAME=VALUE")])
        try:
            out[name.strip()] = float(value)
        except ValueError:
            out[name.strip()] = value
    return out


def cmd_backtest(args: argparse.Namespace) -> int:
    candles, interval = _candles(args.candles, args.interval)
    try:
        strategy = parse_strategy(Path(args.strategy).read_text(), _params(args.param))
    except StrategyError as exc:
        for err in exc.errors:
            print(f"strategy error: {err}", file=sys.stderr)
        return 2
    config = BacktestConfig(
        initial_balance=args.initial_balance,
        fee_rate=args.fee_rate,
        slippage_bps=args.slippage_bps,
        fill=args.fill,
        allow_short=args.allow_short,
        start=_ts(args.start, "start"),
        end=_ts(args.end, "end"),
    )
    result = run_backtest(candles, strategy, config, interval=interval)
    if args.json:
        print(json.dumps(result.to_dict(equity_points=args.equity_points), allow_nan=False))
        return 0
    m = result.metrics
    print(
        f"{strategy.name} on {len(candles)} {interval} candles, fill={config.fill}, fee={config.fee_rate}, slippage={config.slippage_bps} bps"
    )
    for key in (
        "final_balance",
        "total_return_pct",
        "buy_and_hold_return_pct",
        "max_drawdown_pct",
        "sharpe",
        "num_trades",
        "win_rate_pct",
        "profit_factor",
        "total_fees",
    ):
        print(f"  {key:26} {m[key]}")
    for t in result.trades[: args.show_trades]:
        print(
            f"  {t.side:5} {t.entry_time:%Y-%m-%d %H:%M} @ {t.entry_price:.2f} -> {t.exit_time:%Y-%m-%d %H:%M} @ {t.exit_price:.2f} "
            f"{t.return_pct:+.2f}% ({t.exit_reason})"
        )
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    candles, _ = _candles(args.candles, args.interval)
    try:
        spec = parse_spec(args.spec)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = pd.DataFrame(index=candles.index)
    table["close"] = candles["close"]
    for name, params in spec:
        for line, values in compute(name, candles, params).items():
            table[INDICATORS[name].label(params, None if line == "value" else line)] = values
    if args.tail:
        table = table.iloc[-args.tail :]
    if args.json:
        rows = {
            "time": [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in table.index],
            **{
                col: [None if not np.isfinite(v) else float(v) for v in table[col].to_numpy()]
                for col in table.columns
            },
        }
        print(json.dumps(rows, allow_nan=False))
    else:
        print(table.to_string(float_format=lambda v: f"{v:.6g}"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="tradingsite's engine without Django"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    bt = sub.add_parser("backtest", help="backtest a JSON strategy on a candle CSV")
    bt.add_argument("--candles", required=True)
    bt.add_argument("--strategy", required=True)
    bt.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for one of the strategy's named params (repeatable)",
    )
    bt.add_argument("--interval")
    bt.add_argument("--fill", choices=FILLS, default="next_open")
    bt.add_argument("--fee-rate", type=float, default=0.001)
    bt.add_argument("--slippage-bps", type=float, default=0.0)
    bt.add_argument("--initial-balance", type=float, default=10_000.0)
    bt.add_argument("--allow-short", action="store_true")
    bt.add_argument("--start")
    bt.add_argument("--end")
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--equity-points", type=int, default=1000)
    bt.add_argument("--show-trades", type=int, default=10)
    ind = sub.add_parser("indicators", help="compute indicators over a candle CSV")
    ind.add_argument("--candles", required=True)
    ind.add_argument("--spec", required=True, help="e.g. rsi:14,ema:20,macd:12:26:9")
    ind.add_argument("--interval")
    ind.add_argument("--tail", type=int, default=0)
    ind.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        return cmd_backtest(args) if args.command == "backtest" else cmd_indicators(args)
    except (CandleFileError, ConfigError, FileNotFoundError, IsADirectoryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
