"""The simulator on hand-written candle tables (a dozen bars each) with the exact trades
they must produce; properties with hypothesis. Every rule of SPEC §5 is pinned here."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.backtest import BacktestConfig, ConfigError, run_backtest, simulate
from engine.strategy import parse_strategy

FEE = 0.001


def table(rows):
    """rows: (open, high, low, close) per hourly bar."""
    idx = pd.date_range("2024-01-01", periods=len(rows), freq="h", tz="UTC", name="open_time")
    a = np.asarray(rows, dtype=float)
    return pd.DataFrame(
        {"open": a[:, 0], "high": a[:, 1], "low": a[:, 2], "close": a[:, 3], "volume": 1.0},
        index=idx,
    )


FLAT = [(100, 101, 99, 100)] * 12


def sig(n, on):
    a = np.zeros(n, bool)
    a[list(on)] = True
    return a


def run(rows, entries, exits, **cfg):
    c = table(rows)
    return simulate(c, sig(len(c), entries), sig(len(c), exits), BacktestConfig(**cfg))


def test_next_open_fill_with_fees_on_both_sides():
    rows = [(100, 101, 99, 100)] * 3 + [(110, 111, 109, 110)] * 3 + [(120, 121, 119, 120)] * 6
    r = run(rows, [2], [6], fee_rate=FEE)
    (t,) = r.trades
    # Signal at bar 2's close -> buy at bar 3's open (110); exit signal at 6 -> sell at 7's open (120).
    assert (t.entry_index, t.exit_index, t.entry_price, t.exit_price) == (3, 7, 110.0, 120.0)
    qty = 10_000 / (110 * (1 + FEE))
    assert t.quantity == pytest.approx(qty)
    assert t.entry_fee == pytest.approx(qty * 110 * FEE) and t.exit_fee == pytest.approx(
        qty * 120 * FEE
    )
    final = 10_000 - qty * 110 * (1 + FEE) + qty * 120 * (1 - FEE)
    assert r.metrics["final_balance"] == pytest.approx(final, abs=0.01)
    assert t.pnl == pytest.approx(final - 10_000) and t.exit_reason == "signal" and t.bars_held == 4


def test_close_fill_uses_the_signal_bar_close():
    rows = [(100, 101, 99, 100), (100, 101, 99, 101), (105, 106, 104, 105)] + [
        (107, 108, 106, 107)
    ] * 9
    r = run(rows, [1], [2], fill="close", fee_rate=0)
    (t,) = r.trades
    assert (t.entry_index, t.entry_price, t.exit_index, t.exit_price) == (1, 101.0, 2, 105.0)
    assert r.metrics["final_balance"] == pytest.approx(10_000 * 105 / 101, abs=0.01)


def test_slippage_moves_fills_against_the_trader_long_and_short():
    rows = [(100, 101, 99, 100)] * 6
    long_ = run(rows, [0], [3], slippage_bps=50, fee_rate=0).trades[0]
    assert long_.entry_price == pytest.approx(100 * 1.005) and long_.exit_price == pytest.approx(
        100 * 0.995
    )
    short = run(rows, [3], [0], slippage_bps=50, fee_rate=0, allow_short=True).trades[0]
    assert short.side == "short"
    assert short.entry_price == pytest.approx(100 * 0.995) and short.exit_price == pytest.approx(
        100 * 1.005
    )
    assert short.pnl < 0


def test_stop_loss_wins_when_stop_and_take_are_touched_in_one_bar():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 110, 90, 100)] + FLAT[:9]
    (t,) = run(rows, [0], [], fee_rate=0, stop_loss_pct=5, take_profit_pct=5).trades
    assert (t.exit_index, t.exit_reason, t.exit_price) == (2, "stop_loss", 95.0)


def test_take_profit_and_stop_are_checked_from_the_bar_after_entry():
    # The entry bar itself (bar 1) dips below the stop: ignored. Bar 3 reaches the target.
    rows = [
        (100, 101, 99, 100),
        (100, 101, 80, 100),
        (100, 101, 99, 100),
        (100, 112, 99, 111),
    ] + FLAT[:8]
    (t,) = run(rows, [0], [], fee_rate=0, stop_loss_pct=5, take_profit_pct=10).trades
    assert (t.entry_index, t.exit_index, t.exit_reason, t.exit_price) == (
        1,
        3,
        "take_profit",
        pytest.approx(110.0),
    )


def test_a_gap_through_the_stop_fills_at_the_open():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (90, 91, 85, 88)] + FLAT[:9]
    (t,) = run(rows, [0], [], fee_rate=0, stop_loss_pct=5).trades
    assert (t.exit_index, t.exit_reason, t.exit_price) == (2, "stop_loss", 90.0)
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (120, 125, 119, 121)] + FLAT[:9]
    (t,) = run(rows, [0], [], fee_rate=0, take_profit_pct=5).trades
    assert (t.exit_reason, t.exit_price) == ("take_profit", 120.0)


def test_an_intrabar_stop_comes_before_the_same_bars_exit_signal():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 101, 90, 100)] + FLAT[:9]
    (t,) = run(rows, [0], [2], fee_rate=0, stop_loss_pct=5).trades
    assert (t.exit_index, t.exit_reason) == (2, "stop_loss")


def test_open_position_closes_at_the_last_close():
    rows = FLAT[:11] + [(100, 101, 99, 104)]
    (t,) = run(rows, [3], [], fee_rate=0).trades
    assert (t.exit_index, t.exit_price, t.exit_reason) == (11, 104.0, "end_of_data")


def test_no_trade_during_warmup_and_no_fill_after_the_last_bar():
    c = table(FLAT)
    r = simulate(c, sig(12, [1, 2]), sig(12, [5]), BacktestConfig(), warmup=3)
    assert r.trades == []
    r = simulate(c, sig(12, [11]), sig(12, []), BacktestConfig())
    assert r.trades == []  # a signal on the last bar has no next open


def test_entry_and_exit_on_the_same_bar_is_a_hold():
    s = parse_strategy(
        {
            "symbol": "BTCUSDT",
            "entry_conditions": [{"indicator": "close", "condition": "> 100"}],
            "exit_conditions": [{"indicator": "close", "condition": "> 102"}],
        }
    )
    rows = [(100, 101, 99, 100), (100, 104, 99, 103), (103, 104, 100, 101)] + [
        (101, 102, 100, 101)
    ] * 9
    r = run_backtest(table(rows), s, BacktestConfig(fee_rate=0))
    # Bar 1 has both signals (hold); bar 2 enters (fill bar 3); never exits: end of data.
    assert [(t.entry_index, t.exit_reason) for t in r.trades] == [(3, "end_of_data")]


def test_shorts_are_opened_by_exit_signals_and_covered_by_entries():
    rows = [(100, 101, 99, 100)] * 3 + [(90, 91, 89, 90)] * 3 + FLAT[:6]
    r = run(rows, [4], [1], allow_short=True, fee_rate=FEE)
    (t,) = r.trades
    assert t.side == "short" and (t.entry_price, t.exit_price) == (100.0, 90.0)
    qty = 10_000 / (100 * (1 + FEE))
    assert t.pnl == pytest.approx(qty * 10 - qty * 100 * FEE - qty * 90 * FEE)
    # Long-only: the exit signal at bar 1 opens nothing; the entry signal at bar 4 opens a long.
    assert [(t.side, t.entry_index) for t in run(rows, [4], [1], fee_rate=FEE).trades] == [
        ("long", 5)
    ]


def test_position_size_and_equity_curve():
    rows = [
        (100, 101, 99, 100),
        (100, 101, 99, 100),
        (100, 111, 99, 110),
        (110, 111, 109, 110),
    ] + FLAT[:8]
    r = run(rows, [0], [3], fee_rate=0, position_size_pct=50)
    qty = 5000 / 100
    eq = r.equity.to_numpy()
    assert (
        eq[0] == 10_000
        and eq[1] == pytest.approx(5000 + qty * 100)
        and eq[2] == pytest.approx(5000 + qty * 110)
    )
    assert r.metrics["final_balance"] == pytest.approx(
        5000 + qty * 100, abs=0.01
    )  # sold at bar 4's open (100)


def test_metrics_on_a_tiny_case():
    rows = (
        [(100, 101, 99, 100)] * 2
        + [(110, 111, 109, 110)] * 2
        + [(100, 101, 99, 100)] * 2
        + [(90, 91, 89, 90)] * 2
        + FLAT[:4]
    )
    r = run(rows, [0, 4], [2, 6], fee_rate=0)
    m = r.metrics
    assert m["num_trades"] == 2 and m["win_rate_pct"] == 50.0
    w, l_ = r.trades[0].pnl, r.trades[1].pnl
    assert w > 0 > l_ and m["profit_factor"] == pytest.approx(w / -l_, rel=1e-4)
    assert m["expectancy"] == pytest.approx((w + l_) / 2, abs=1e-3)
    assert m["max_drawdown_pct"] > 0 and m["exposure_pct"] == pytest.approx(4 / 12 * 100, abs=1e-3)


def test_to_dict_is_json_safe_even_without_trades():
    r = run(FLAT, [], [])
    d = r.to_dict(equity_points=5)
    json.dumps(d, allow_nan=False)
    assert d["metrics"]["num_trades"] == 0 and d["metrics"]["sharpe"] is None and d["trades"] == []
    assert len(d["equity"]) <= 6


def test_window_start_end_and_bad_config():
    c = table(FLAT)
    r = simulate(
        c, sig(12, [2, 6]), sig(12, [4, 8]), BacktestConfig(start=c.index[5], end=c.index[9])
    )
    assert [t.entry_index for t in r.trades] == [7] and len(r.equity) == 5
    for bad, field in [
        (dict(fee_rate=-0.1), "fee_rate"),
        (dict(fill="later"), "fill"),
        (dict(initial_balance=0), "initial_balance"),
        (dict(slippage_bps=math.inf), "slippage_bps"),
        (dict(position_size_pct=0), "position_size_pct"),
    ]:
        with pytest.raises(ConfigError) as exc:
            simulate(c, sig(12, []), sig(12, []), BacktestConfig(**bad))
        assert exc.value.field == field


prices = st.lists(
    st.floats(min_value=-0.03, max_value=0.03, allow_nan=False), min_size=30, max_size=200
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prices,
    st.lists(st.booleans(), min_size=200, max_size=200),
    st.lists(st.booleans(), min_size=200, max_size=200),
    st.sampled_from(["next_open", "close"]),
    st.booleans(),
    st.sampled_from([None, 2.0]),
    st.integers(5, 199),
)
def test_properties_cash_equity_and_no_look_ahead(rets, ent, ex, fill, short, sl, k):
    close = 100 * np.exp(np.cumsum(rets))
    n = len(close)
    opens = np.concatenate(([100.0], close[:-1]))
    rows = np.column_stack(
        [opens, np.maximum(opens, close) * 1.01, np.minimum(opens, close) * 0.99, close]
    )
    c = table(rows)
    entry, exit_ = np.array(ent[:n]), np.array(ex[:n]) & ~np.array(ent[:n])
    cfg = BacktestConfig(fill=fill, allow_short=short, stop_loss_pct=sl, slippage_bps=5)
    full = simulate(c, entry, exit_, cfg)
    assert full.equity.iloc[-1] == pytest.approx(full.metrics["final_balance"], abs=0.01)
    if not short:
        assert (full.equity.to_numpy() > 0).all()
    k = min(k, n)
    part = simulate(c.iloc[:k], entry[:k], exit_[:k], cfg)
    closed_before = [t for t in full.trades if t.exit_index < k - 1]
    assert [
        (t.entry_index, t.exit_index, t.exit_reason)
        for t in part.trades
        if t.exit_reason != "end_of_data"
    ][: len(closed_before)] == [(t.entry_index, t.exit_index, t.exit_reason) for t in closed_before]
    np.testing.assert_allclose(part.equity.to_numpy()[: k - 1], full.equity.to_numpy()[: k - 1])


def test_equity_stats_match_numpy():
    from engine.backtest.metrics import equity_stats

    rng = np.random.default_rng(5)
    v = 10_000 * np.exp(np.cumsum(rng.normal(0, 0.01, 5000)))
    max_dd, longest, mean, std, down = equity_stats(v)
    rets = np.diff(v) / v[:-1]
    peak = np.maximum.accumulate(v)
    assert max_dd == pytest.approx((1 - v / peak).max())
    assert mean == pytest.approx(rets.mean()) and std == pytest.approx(rets.std(ddof=1), rel=1e-6)
    assert down == pytest.approx(np.sqrt((rets[rets < 0] ** 2).sum() / len(rets)))
    under = (v < peak).astype(int)
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], under, [0])))))[::2]
    assert longest == runs.max()


def test_equity_beside_buy_and_hold_from_the_first_simulated_bar():
    rows = [(100, 101, 99, 100)] * 4 + [(110, 111, 109, 110)] * 4 + [(120, 121, 119, 120)] * 4
    c = table(rows)
    r = simulate(c, sig(12, [1]), sig(12, [9]), BacktestConfig(start=c.index[2]))
    curve = r.equity_with_buy_and_hold(c, 6)
    assert [p[:2] for p in curve] == r.equity_points(6) and len(curve) <= 6
    first = float(c["close"].iloc[2])
    for t, _, held in curve:
        close = float(c["close"].loc[pd.Timestamp(t, unit="ms", tz="UTC")])
        assert held == pytest.approx(close / first * 10_000)
    assert curve[0][2] == 10_000


def test_drawdown_is_zero_at_each_new_peak_and_never_positive():
    from engine.backtest import drawdown_pct

    dd = drawdown_pct(np.array([100.0, 110.0, 99.0, 121.0, 108.9, 130.0]))
    np.testing.assert_allclose(dd, [0.0, 0.0, -10.0, 0.0, -10.0, 0.0])
    assert (drawdown_pct(np.array([5.0, 4.0, 3.0, 3.5])) <= 0).all()
    assert len(drawdown_pct(np.array([]))) == 0


@pytest.mark.parametrize("trades", [0, 3], ids=["no-trades", "trades"])
def test_metric_keys_are_exactly_what_compute_metrics_returns(trades):
    """METRIC_KEYS (the API's typed metrics, the sweep's rankable ones) is the metrics
    dict's key set, with or without trades."""
    from engine.backtest.metrics import METRIC_KEYS, compute_metrics

    equity = pd.Series([100.0, 101.0, 99.5, 102.0, 103.0])
    metrics = compute_metrics(
        equity,
        initial_balance=100.0,
        pnl=np.array([1.0, -1.5, 3.5][:trades]),
        returns_pct=np.array([1.0, -1.5, 3.5][:trades]),
        fees=np.array([0.1, 0.1, 0.1][:trades]),
        bars_in_market=3 if trades else 0,
        bar_seconds=3600.0,
        buy_and_hold_pct=2.0,
    )
    assert set(metrics) == set(METRIC_KEYS)
    assert len(METRIC_KEYS) == len(set(METRIC_KEYS))
