"""The warm-up compiles what real requests dispatch to, on valid generated candles."""

import numpy as np

from engine.warmup import warm_candles, warm_up


def test_warm_candles_are_valid_ohlcv():
    c = warm_candles(300)
    assert len(c) == 300 and str(c.index.tz) == "UTC" and c.index.is_monotonic_increasing
    assert all(dt == np.float64 for dt in c.dtypes)
    assert (c["high"] >= c[["open", "close"]].max(axis=1)).all()
    assert (c["low"] <= c[["open", "close"]].min(axis=1)).all() and (c["low"] > 0).all()


def test_warm_up_runs_the_backtest_and_desk_kernels():
    from engine.backtest.simulate import simulate_bars
    from engine.desk.backtest import _desk_kernel

    timings = warm_up()
    assert set(timings) == {"backtest", "desk"}
    # The kernels now hold compiled specialisations a request reuses.
    assert simulate_bars.signatures and _desk_kernel.signatures
