"""The simulator pinned bit for bit: a digest of the trades and the equity curve over the
demo candles and generated random walks with gaps, for every combination of fill mode,
shorting, stop-loss/take-profit, slippage and position size, with and without a window
and a warm-up. A restructuring of simulate.py must leave every digest unchanged; a
deliberate change of the rules changes them (then update DIGESTS and say why).

Inputs are built without transcendental functions (no exp/log) so the candles, and
therefore the digests, are the same on every machine."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_backtest, simulate
from engine.marketdata import read_candles
from engine.strategy import parse_strategy
from engine.tests.test_strategy import SHAPE_A

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
FILES = {
    "btc_1h_short": "BTCUSDT-1h-2020-08_2021-06.csv",
    "btc_1h_long": "BTCUSDT-1h-2020-10_2025-10.csv.gz",
    "eth_1h": "ETHUSDT-1h-2020-08_2021-06.csv",
    "btc_perp_5m": "BTCUSDT-PERP-5m-2023-01_2023-02.csv",
    "ethbtc_1m": "ETHBTC-1m-2018-01.csv",
    "goog_1d": "GOOG-1d-2004-08_2013-03.csv",
}
# Signal density per set: sparse, medium and dense signals reach different paths
# (a signal while a next-open order is pending, an exit on the bar after entry, ...).
DENSITY = {
    "btc_1h_short": 0.02,
    "btc_1h_long": 0.01,
    "eth_1h": 0.05,
    "btc_perp_5m": 0.2,
    "ethbtc_1m": 0.03,
    "goog_1d": 0.1,
    "walk_a": 0.04,
    "walk_b": 0.3,
}

DIGESTS = {
    "btc_1h_short": "c691e4e4018b37c28a8e37a7eecc39f5134fd7f855d69564821281df23b9c7f2",
    "btc_1h_long": "2773eee426a737095e9207235e529a74959ada7c063228a40d30256e1c1bfe2e",
    "eth_1h": "2250d557a4158e42e8b7b6b8a9c2eff74ca3b5176ef5163a09eadbfa5ec95c08",
    "btc_perp_5m": "fd3eb404ac69c22eb6eb39780ba39752adf393d4904f4121ae6304e494ef60b8",
    "ethbtc_1m": "e7baa5ff38bdb3b27634c061c3e5f7f1e20bd71ab04136cb4ec8fd59116cf2d2",
    "goog_1d": "26b9cb27b6fdff54dff21b604948777c16d9a267541332b0a69b4c5850c70b7c",
    "walk_a": "94f0df5cd7e62aa28fe33f6954aa9ef7428bf38fc1dfc027f80d76ebc8803e43",
    "walk_b": "3bf32194c86a622ea46044e40a084b4ca5fe33853289f6009c032d9acbc3750a",
    "strategy": "9a2b80e68db6f52cbfed5eed22560fed9fc204d68c175ce5a57217ae9a7bce53",
}


def random_walk_with_gaps(n: int, seed: int) -> pd.DataFrame:
    """A multiplicative random walk whose opens sometimes gap 3% away from the previous
    close (so stops and targets fill at the open) and whose index misses 2% of the bars."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.cumprod(1.0 + (rng.random(n) - 0.5) * 0.004)
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1] * (1.0 + (rng.random(n - 1) - 0.5) * 0.0004)
    gap = rng.random(n) < 0.01
    gap[0] = False
    open_[gap] *= np.where(rng.random(int(gap.sum())) < 0.5, 0.97, 1.03)
    high = np.maximum(open_, close) * (1.0 + rng.random(n) * 0.002)
    low = np.minimum(open_, close) * (1.0 - rng.random(n) * 0.002)
    minutes = np.flatnonzero(rng.random(int(n * 1.03)) >= 0.02)[:n]
    index = pd.DatetimeIndex(
        pd.to_datetime(1_600_000_000_000 + minutes * 60_000, unit="ms", utc=True),
        name="open_time",
    )
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1.0}, index=index
    )


def candle_sets() -> dict[str, pd.DataFrame]:
    sets = {name: read_candles(DEMO / f).frame for name, f in FILES.items()}
    sets["walk_a"] = random_walk_with_gaps(20_000, seed=1)
    sets["walk_b"] = random_walk_with_gaps(5_000, seed=2)
    return sets


CONFIGS = [
    dict(
        fill=fill,
        allow_short=short,
        stop_loss_pct=sl,
        take_profit_pct=tp,
        slippage_bps=slip,
        position_size_pct=size,
    )
    for fill, short, (sl, tp), (slip, size) in itertools.product(
        ("next_open", "close"),
        (False, True),
        ((None, None), (2.0, None), (None, 3.0), (0.5, 0.8)),
        ((0.0, None), (7.5, 40.0)),
    )
]


def _feed(h, result) -> None:
    c = result.columns
    for a, dtype in (
        (c.side, np.int8),
        (c.entry_index, np.int64),
        (c.exit_index, np.int64),
        (c.entry_price, np.float64),
        (c.exit_price, np.float64),
        (c.quantity, np.float64),
        (c.entry_fee, np.float64),
        (c.exit_fee, np.float64),
        (c.pnl, np.float64),
        (c.reason, np.int8),
    ):
        h.update(np.ascontiguousarray(a, dtype=dtype).tobytes())
    h.update(np.ascontiguousarray(result.equity.to_numpy(), dtype=np.float64).tobytes())


@pytest.fixture(scope="module")
def digests() -> tuple[dict[str, str], dict[str, set]]:
    out, seen = {}, {"reason": set(), "side": set(), "trades": 0}
    for name, candles in candle_sets().items():
        n = len(candles)
        rng = np.random.default_rng(sum(map(ord, name)))
        p = DENSITY[name]
        entry, exit_ = rng.random(n) < p, rng.random(n) < p
        h = hashlib.sha256()
        for k, cfg in enumerate(CONFIGS):
            # Every other config runs on a window (from 10% to 90% of the bars) with a
            # warm-up that ends inside it, so lo, hi and warmup all differ from 0 and n.
            windowed = k % 2 == 1
            extra = (
                {"start": candles.index[n // 10], "end": candles.index[n * 9 // 10]}
                if windowed
                else {}
            )
            warmup = n // 5 if windowed else 0
            r = simulate(candles, entry, exit_, BacktestConfig(**cfg, **extra), warmup=warmup)
            _feed(h, r)
            seen["reason"].update(int(x) for x in r.columns.reason)
            seen["side"].update(int(x) for x in r.columns.side)
            seen["trades"] += len(r.columns)
        out[name] = h.hexdigest()
    h = hashlib.sha256()
    candles = read_candles(DEMO / FILES["btc_1h_short"]).frame
    for fill in ("next_open", "close"):
        _feed(h, run_backtest(candles, parse_strategy(SHAPE_A), BacktestConfig(fill=fill)))
    out["strategy"] = h.hexdigest()
    return out, seen


def test_the_grid_reaches_every_exit_reason_and_both_sides(digests):
    _, seen = digests
    assert seen["reason"] == {0, 1, 2, 3}
    assert seen["side"] == {1, -1}
    assert seen["trades"] > 10_000


@pytest.mark.parametrize("name", list(DIGESTS))
def test_trades_and_equity_are_bit_identical(digests, name):
    assert digests[0][name] == DIGESTS[name]
