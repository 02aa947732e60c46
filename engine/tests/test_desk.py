"""The desk core against SPEC §7a: the compiled desk backtest equals a plain reading of
the semantics (engine/tests/desk_reference.py) on real candles with real gaps, one agent
alone equals its §5 backtest trade for trade (item 9), the random baseline follows item 8,
and no decision looks ahead."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.backtest import BacktestConfig, run_backtest
from engine.desk import (
    BUY,
    SELL,
    DeskAgent,
    DeskConfigError,
    DeskParams,
    agent_series,
    evaluate_at,
    rank_take,
    run_desk_backtest,
)
from engine.desk.rules import BELOW_MIN_SCORE, BEYOND_TOP_N, STATUS_TEXT, SYMBOL_TAKEN, TAKEN
from engine.marketdata import interval_ms
from engine.marketdata.csvfile import read_candles
from engine.strategy import parse_strategy
from engine.strategy.resample import resample

from .desk_reference import reference_desk

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"

RSI_DIP = {
    "strategy_name": "rsi dip",
    "symbol": "X",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 35"},
        {"indicator": "close", "condition": "> ema(50)", "timeframe": "4h"},
    ],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 65"}],
    "entry_logic": "all",
    "exit_logic": "any",
}
MACD = {
    "strategy_name": "macd",
    "symbol": "X",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "macd", "condition": "crosses_above macd.signal"},
        {"indicator": "close", "condition": "> sma(100)"},
    ],
    "exit_conditions": [
        {"indicator": "macd", "condition": "crosses_below macd.signal"},
        {"indicator": "close", "condition": "< bollinger(20,2).lower"},
    ],
    "entry_logic": "all",
    "exit_logic": "any",
}
EMA_CROSS = {
    "strategy_name": "ema cross",
    "symbol": "X",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "ema", "params": {"period": 12}, "condition": "crosses_above ema(26)"}
    ],
    "exit_conditions": [
        {"indicator": "ema", "params": {"period": 12}, "condition": "crosses_below ema(26)"}
    ],
}


@cache
def candles(name: str, interval: str) -> pd.DataFrame:
    return read_candles(DATA / name, interval=interval).frame


def btc() -> pd.DataFrame:
    return candles("BTCUSDT-1h-2020-08_2021-06.csv", "1h")


def eth() -> pd.DataFrame:
    return candles("ETHUSDT-1h-2020-08_2021-06.csv", "1h")


def agent(agent_id, symbol, frame, definition, interval="1h") -> DeskAgent:
    strategy = parse_strategy({**definition, "symbol": symbol, "timeframe": interval})
    s = agent_series(strategy, frame, interval=interval)
    return DeskAgent(agent_id, f"agent {agent_id}", symbol, interval, frame, s.action, s.confidence)


def random_agent(agent_id, symbol, frame, interval, seed, p_signal=0.2) -> DeskAgent:
    """Random actions and confidences on real candles: every ranking path gets exercised."""
    rng = np.random.default_rng(seed)
    u = rng.random(len(frame))
    action = np.where(u < p_signal / 2, BUY, np.where(u < p_signal, SELL, 0)).astype(np.int8)
    conf = np.round(rng.random(len(frame)), 2)  # rounded: ties in the score happen
    return DeskAgent(agent_id, f"agent {agent_id}", symbol, interval, frame, action, conf)


STATUS_WORD = {
    TAKEN: "taken",
    BELOW_MIN_SCORE: "below",
    BEYOND_TOP_N: "beyond",
    SYMBOL_TAKEN: "symbol",
    4: "not held",
    5: "other",
    6: "held",
    7: "waiting",
}


def assert_same_as_reference(agents, params, start, end):
    result = run_desk_backtest(agents, params, start=start, end=end)
    ref_trades, ref_audit, ref_equity, ref_taken = reference_desk(agents, params, start, end)
    au = result.desk.audit
    ids = [a.agent_id for a in agents]
    got = [
        (
            int(au["time_ms"][r]),
            ids[au["agent"][r]],
            "buy" if au["action"][r] == BUY else "sell",
            STATUS_WORD[int(au["status"][r])],
        )
        for r in range(len(au["time_ms"]))
    ]
    want = [(t, a, act, why) for t, a, act, _c, _w, _s, why in ref_audit]
    assert sorted(got) == sorted(want)
    got_scores = sorted(
        (int(au["time_ms"][r]), ids[au["agent"][r]], au["score"][r], au["win_rate"][r])
        for r in range(len(au["time_ms"]))
    )
    want_scores = sorted((t, a, s, w) for t, a, _act, _c, w, s, _why in ref_audit)
    np.testing.assert_allclose(
        [g[2:] for g in got_scores], [w[2:] for w in want_scores], rtol=0, atol=1e-12
    )
    tr = result.desk.trades
    assert len(tr["agent"]) == len(ref_trades)
    for k, t in enumerate(ref_trades):
        assert ids[tr["agent"][k]] == t["agent"]
        assert tr["entry_bar"][k] == t["entry_bar"] and tr["exit_bar"][k] == t["exit_bar"]
        assert tr["entry_price"][k] == pytest.approx(t["entry_price"], rel=1e-12)
        assert tr["quantity"][k] == pytest.approx(t["quantity"], rel=1e-9)
        if t["pnl"] is not None:
            assert tr["pnl"][k] == pytest.approx(t["pnl"], rel=1e-9, abs=1e-7)
    np.testing.assert_allclose(result.desk.equity, ref_equity, rtol=1e-9)
    np.testing.assert_array_equal(result.desk.taken_per_time, ref_taken)
    return result


# ---- item 9: one agent alone is its own backtest ------------------------------------


@pytest.mark.parametrize("definition", [RSI_DIP, MACD, EMA_CROSS], ids=["rsi", "macd", "ema"])
@pytest.mark.parametrize(("fee", "slippage_bps"), [(0.001, 0.0), (0.00075, 5.0), (0.0, 0.0)])
def test_one_agent_top1_min0_fraction1_equals_its_backtest(definition, fee, slippage_bps):
    frame = btc()  # 7 real gaps (exchange maintenance)
    start, end = frame.index[300], frame.index[-40]
    a = agent(7, "BTCUSDT", frame, definition)
    params = DeskParams(
        top_n=1, min_score=0.0, buy_fraction=1.0, fee_rate=fee, slippage_bps=slippage_bps, seeds=0
    )
    desk = run_desk_backtest([a], params, start=start, end=end).desk
    strategy = parse_strategy({**definition, "symbol": "BTCUSDT"})
    bt = run_backtest(
        frame,
        strategy,
        BacktestConfig(
            start=start, end=end, fee_rate=fee, slippage_bps=slippage_bps, position_size_pct=100.0
        ),
        interval="1h",
    )
    cols = bt.columns
    by_signal = (
        cols.reason == 0
    )  # the backtest closes what is open at the end; the desk reports it open
    closed = desk.trades["exit_bar"] >= 0
    assert by_signal.sum() == closed.sum() > 5
    np.testing.assert_array_equal(cols.entry_index[by_signal], desk.trades["entry_bar"][closed])
    np.testing.assert_array_equal(cols.exit_index[by_signal], desk.trades["exit_bar"][closed])
    np.testing.assert_allclose(
        cols.entry_price[by_signal], desk.trades["entry_price"][closed], rtol=1e-12
    )
    np.testing.assert_allclose(
        cols.exit_price[by_signal], desk.trades["exit_price"][closed], rtol=1e-12
    )
    np.testing.assert_allclose(cols.quantity[by_signal], desk.trades["quantity"][closed], rtol=1e-9)
    np.testing.assert_allclose(cols.pnl[by_signal], desk.trades["pnl"][closed], rtol=1e-9)
    # what the backtest closed at the end of data is the desk's one open position
    assert (~closed).sum() == (cols.reason != 0).sum()


def test_one_agent_has_no_random_band_and_says_so():
    params = DeskParams(top_n=1, min_score=0.0, seeds=5)
    result = run_desk_backtest(
        [agent(7, "BTCUSDT", btc(), EMA_CROSS)], params, start=btc().index[300], end=btc().index[-1]
    )
    band = result.metrics["random"]
    assert (
        band["p5_final_equity"]
        == band["p95_final_equity"]
        == pytest.approx(result.metrics["desk"]["final_equity"])
    )
    assert band["verdict"].startswith("no random band") and band["desk_percentile"] == 50.0
    assert band["band"] is False


# ---- the whole semantics against the reference ----------------------------------------


def test_real_strategies_two_symbols_match_the_reference():
    agents = [agent(3, "BTCUSDT", btc(), RSI_DIP), agent(5, "ETHUSDT", eth(), MACD)]
    params = DeskParams(top_n=1, min_score=0.3, buy_fraction=0.5, slippage_bps=3, seeds=0)
    result = assert_same_as_reference(agents, params, btc().index[400], btc().index[-1])
    assert result.metrics["desk"]["closed_trades"] > 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    top_n=st.integers(1, 3),
    min_score=st.sampled_from([0.0, 0.4, 0.55, 0.7]),
    alpha=st.sampled_from([0.0, 0.6, 1.0]),
    fraction=st.sampled_from([0.1, 0.5, 1.0]),
    slippage=st.sampled_from([0.0, 10.0]),
    prior=st.sampled_from([0, 10]),
    drop=st.integers(0, 30),
)
def test_random_agents_mixed_intervals_gaps_match_the_reference(
    seed, top_n, min_score, alpha, fraction, slippage, prior, drop
):
    """Four agents on three symbols (two agents share BTCUSDT), 1h and 4h, with candles
    dropped at random (gaps, fills after a gap), random signals and confidences."""
    rng = np.random.default_rng(seed)
    b = btc().iloc[:1200]
    e = eth().iloc[:1200]
    b = b.drop(b.index[rng.choice(np.arange(50, 1150), size=drop, replace=False)])
    b4 = resample(btc().iloc[:1200], "4h")
    agents = [
        random_agent(1, "BTCUSDT", b, "1h", seed),
        random_agent(2, "ETHUSDT", e, "1h", seed + 1),
        random_agent(4, "BTCUSDT", b4, "4h", seed + 2, p_signal=0.4),
        random_agent(9, "ETHBTC", e.iloc[::2].copy(), "2h", seed + 3),
    ]
    params = DeskParams(
        top_n=top_n,
        min_score=min_score,
        alpha=alpha,
        beta=round(1 - alpha, 10),
        prior_trades=prior,
        buy_fraction=fraction,
        slippage_bps=slippage,
        seeds=0,
    )
    assert_same_as_reference(agents, params, b.index[100], b.index[-1])


def test_random_baseline_follows_item_8():
    agents = [
        random_agent(1, "BTCUSDT", btc().iloc[:800], "1h", 1, p_signal=0.3),
        random_agent(2, "ETHUSDT", eth().iloc[:800], "1h", 2, p_signal=0.3),
        random_agent(3, "ETHBTC", eth().iloc[:800], "1h", 3, p_signal=0.3),
    ]
    start, end = btc().index[50], btc().index[799]
    params = DeskParams(top_n=2, min_score=0.5, buy_fraction=0.3, seeds=12)
    result = run_desk_backtest(agents, params, start=start, end=end)
    finals = []
    for r in range(12):
        _t, _a, equity, taken = reference_desk(
            agents,
            params,
            start,
            end,
            rng=np.random.default_rng(r),
            take_counts=result.desk.taken_per_time,
        )
        finals.append(equity[-1])
        # as many picks as the Mother AI at every time (fewer only when fewer are executable)
        assert (taken <= result.desk.taken_per_time).all()
    np.testing.assert_allclose(result.random_final, finals, rtol=1e-9)
    band = result.metrics["random"]
    assert band["p5_final_equity"] <= band["mean_final_equity"] <= band["p95_final_equity"]
    assert band["mean_final_equity"] == pytest.approx(np.mean(finals))
    assert len(set(np.round(finals, 6))) > 3  # the seeds really differ
    assert band["band"] is True


# ---- no look-ahead ----------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(200, 1100),
    first=st.integers(60, 190),
    strategies=st.lists(st.sampled_from([RSI_DIP, MACD, EMA_CROSS]), min_size=2, max_size=3),
    top_n=st.integers(1, 2),
    min_score=st.sampled_from([0.0, 0.5]),
)
def test_truncating_later_candles_never_changes_an_earlier_decision(
    cut, first, strategies, top_n, min_score
):
    """Random agents (a strategy drawn per agent, on BTCUSDT, ETHUSDT and a 4h series) and
    windows: series and decisions recomputed from candles cut after bar `cut` give the same
    decisions at or before the cut's close (agents, actions, scores, statuses)."""
    full = [btc().iloc[:1200], eth().iloc[:1200], resample(btc().iloc[:1200], "4h")]
    symbols = [("BTCUSDT", "1h"), ("ETHUSDT", "1h"), ("BTC4H", "4h")]
    horizon_time = full[0].index[cut]
    params = DeskParams(top_n=top_n, min_score=min_score, buy_fraction=0.5, seeds=0)

    def run(frames):
        agents = [
            agent(k + 1, symbols[k][0], frames[k], definition, symbols[k][1])
            for k, definition in enumerate(strategies)
        ]
        return run_desk_backtest(
            agents, params, start=full[0].index[first], end=frames[0].index[-1]
        ).desk.audit

    whole = run(full)
    short = run([f.loc[f.index <= horizon_time] for f in full])
    horizon = int(horizon_time.value // 1_000_000) + interval_ms("1h")
    keep, short_keep = whole["time_ms"] <= horizon, short["time_ms"] <= horizon
    for name in ("time_ms", "agent", "action", "status"):
        np.testing.assert_array_equal(whole[name][keep], short[name][short_keep])
    np.testing.assert_allclose(whole["score"][keep], short["score"][short_keep], rtol=0, atol=1e-12)


def test_series_of_a_bar_does_not_depend_on_later_candles():
    frame = btc().iloc[:900]
    strategy = parse_strategy({**MACD, "symbol": "BTCUSDT"})
    full = agent_series(strategy, frame, interval="1h")
    for cut in (300, 555, 899):
        part = agent_series(strategy, frame.iloc[: cut + 1], interval="1h")
        np.testing.assert_array_equal(full.action[: cut + 1], part.action)
        np.testing.assert_allclose(full.confidence[: cut + 1], part.confidence, rtol=0, atol=1e-12)
        a = evaluate_at(strategy, frame.iloc[: cut + 1], part, -1, interval_ms=interval_ms("1h"))
        b = evaluate_at(strategy, frame, full, cut, interval_ms=interval_ms("1h"))
        assert a == b


# ---- the rules on small cases --------------------------------------------------------


def test_rank_take_orders_by_score_then_agent_id_one_action_per_symbol():
    scores = np.array([0.8, 0.9, 0.8, 0.95, 0.5])
    keys = np.array([30, 20, 10, 40, 50])
    symbols = np.array([0, 1, 2, 1, 3])
    status = np.array([TAKEN] * 5, np.int8)
    ranks = rank_take(scores, keys, symbols, status, 3, 0.6)
    # 40 (0.95, symbol 1) > 20 (0.9, symbol 1 taken) > 10 (0.8) = 30 (0.8, id order) > 50
    assert list(ranks) == [4, 2, 3, 1, 5]
    assert [STATUS_TEXT[s] for s in status] == [
        "taken",
        STATUS_TEXT[SYMBOL_TAKEN],
        "taken",
        "taken",
        STATUS_TEXT[BELOW_MIN_SCORE],
    ]


def test_evaluation_confidence_is_the_firing_conditions_strength():
    frame = btc().iloc[:1500]
    strategy = parse_strategy({**RSI_DIP, "symbol": "BTCUSDT"})
    s = agent_series(strategy, frame, interval="1h")
    buys = np.flatnonzero(s.action == BUY)
    assert len(buys) > 3
    for i in buys[:5]:
        ev = evaluate_at(strategy, frame, s, int(i), interval_ms=interval_ms("1h"))
        fired = [r["strength"] for r in ev.reasons if r["side"] == "entry" and r["fired"]]
        assert ev.action == "buy" and ev.confidence == pytest.approx(np.mean(fired), abs=1e-4)
        assert ev.market_time == frame.index[i] + pd.Timedelta(hours=1)
    assert len(np.unique(np.round(s.confidence[buys], 4))) > 1  # never a constant


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"top_n": 0}, "top_n"),
        ({"min_score": 1.2}, "min_score"),
        ({"alpha": 0.5}, "alpha"),
        ({"buy_fraction": 0.0}, "buy_fraction"),
        ({"seeds": 2.5}, "seeds"),
    ],
)
def test_bad_parameters_name_the_field(change, field):
    with pytest.raises(DeskConfigError) as err:
        run_desk_backtest(
            [agent(1, "BTCUSDT", btc(), EMA_CROSS)],
            DeskParams(**change),
            start=btc().index[0],
            end=btc().index[-1],
        )
    assert err.value.field == field


def test_no_agents_an_empty_window_and_end_before_start_are_refused():
    a = agent(1, "BTCUSDT", btc(), EMA_CROSS)
    with pytest.raises(DeskConfigError) as err:
        run_desk_backtest([], DeskParams(), start=btc().index[0], end=btc().index[-1])
    assert err.value.field == "agents"
    with pytest.raises(DeskConfigError) as err:
        run_desk_backtest([a], DeskParams(), start=btc().index[50], end=btc().index[10])
    assert err.value.field == "end"
    with pytest.raises(DeskConfigError) as err:
        run_desk_backtest([a], DeskParams(), start="2030-01-01", end="2030-02-01")
    assert err.value.field == "start"


def test_an_agent_without_candles_in_the_window_never_trades():
    late = eth().iloc[:300]  # ends months before the window opens
    agents = [agent(1, "BTCUSDT", btc(), EMA_CROSS), agent(2, "ETHUSDT", late, EMA_CROSS)]
    result = run_desk_backtest(
        agents,
        DeskParams(top_n=1, min_score=0.0, seeds=3),
        start=btc().index[2000],
        end=btc().index[-1],
    )
    assert (result.alone[1].equity == DeskParams().initial_balance).all()
    assert set(result.desk.trades["agent"]) == {0}
    assert result.metrics["desk"]["closed_trades"] > 0
