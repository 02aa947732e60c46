"""The strategy language: both shapes, field-path errors, the grammar's refusals, and
signals pinned on hand-written candle tables; hypothesis checks there is no look-ahead."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.strategy import (
    StrategyError,
    compile_signals,
    parse_condition,
    parse_strategy,
    required_lookback,
)

SHAPE_A = {
    "symbol": "BTCUSDT",
    "indicators": {
        "rsi": {"period": 14, "buy_below": 30, "sell_above": 70},
        "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
    },
}
SHAPE_B = {
    "strategy_name": "RSI dip in uptrend",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 30"},
        {"indicator": "close", "condition": "> ema(200)"},
    ],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 70"}],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 2.0, "take_profit_pct": 5.0, "position_size_pct": 100},
}


def frame(closes, start="2024-01-01", freq="h", highs=None, lows=None):
    closes = np.asarray(closes, dtype=float)
    idx = pd.date_range(start, periods=len(closes), freq=freq, tz="UTC", name="open_time")
    opens = np.concatenate(([closes[0]], closes[:-1]))
    high = np.maximum(opens, closes) + 0.5 if highs is None else np.asarray(highs, float)
    low = np.minimum(opens, closes) - 0.5 if lows is None else np.asarray(lows, float)
    return pd.DataFrame(
        {"open": opens, "high": high, "low": low, "close": closes, "volume": 1.0}, index=idx
    )


def test_shape_a_normalises_to_conditions():
    s = parse_strategy(SHAPE_A)
    assert s.shape == "A" and s.entry_logic == "any" and s.exit_logic == "any"
    assert [c.label for c in s.entry] == ["rsi(14) < 30", "close crosses_above ema(20)"]
    assert [c.label for c in s.exit] == ["rsi(14) > 70", "close crosses_below ema(20)"]
    assert s.indicators_used() == ["rsi(14)", "ema(20)"]


def test_shape_b_round_trips_through_its_normal_form():
    s = parse_strategy(SHAPE_B)
    assert s.shape == "B" and s.risk.stop_loss_pct == 2.0 and s.entry_logic == "all"
    again = parse_strategy(json.dumps(s.to_dict()))
    assert again.to_dict() == s.to_dict()
    assert (
        parse_strategy(parse_strategy(SHAPE_A).to_dict()).to_dict()
        == parse_strategy(SHAPE_A).to_dict()
    )


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        (
            {
                "entry_conditions": [
                    {"indicator": "rsi", "condition": "< 30"},
                    {"indicator": "close", "condition": "> emma(200)"},
                ]
            },
            "entry_conditions[1].condition",
            "unknown indicator 'emma'",
        ),
        (
            {"entry_conditions": [{"indicator": "rsx", "condition": "< 30"}]},
            "entry_conditions[0].indicator",
            "unknown indicator 'rsx'",
        ),
        (
            {
                "entry_conditions": [
                    {"indicator": "rsi", "params": {"period": 0}, "condition": "< 30"}
                ]
            },
            "entry_conditions[0].params",
            "rsi period must be between 2",
        ),
        (
            {
                "entry_conditions": [
                    {"indicator": "rsi", "params": {"length": 14}, "condition": "< 30"}
                ]
            },
            "entry_conditions[0].params.length",
            "no parameter",
        ),
        (
            {"entry_conditions": [{"indicator": "macd", "line": "sig", "condition": "> 0"}]},
            "entry_conditions[0].line",
            "no line 'sig'",
        ),
        (
            {"entry_conditions": [{"indicator": "rsi", "condition": "<< 30"}]},
            "entry_conditions[0].condition",
            "expected a number",
        ),
        (
            {"entry_conditions": [{"indicator": "rsi", "condition": "< 30", "timeframe": "1m"}]},
            "entry_conditions[0].timeframe",
            "lower than",
        ),
        ({"entry_conditions": []}, "entry_conditions", "at least one"),
        ({"entry_logic": "most"}, "entry_logic", "'all' or 'any'"),
        ({"risk": {"stop_loss_pct": -1}}, "risk.stop_loss_pct", "greater than 0"),
        ({"risk": {"position_size_pct": 150}}, "risk.position_size_pct", "at most 100"),
        ({"risk": {"trailing": 1}}, "risk.trailing", "unknown field"),
        ({"timeframe": "7h"}, "timeframe", "unknown timeframe"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_errors_name_the_exact_field(patch, path, message):
    with pytest.raises(StrategyError) as exc:
        parse_strategy({**SHAPE_B, **patch})
    found = {e.path: e.message for e in exc.value.errors}
    assert path in found, exc.value.errors
    assert message in found[path]


def test_all_errors_are_reported_at_once():
    bad = {
        **SHAPE_B,
        "entry_logic": "most",
        "risk": {"stop_loss_pct": "x"},
        "exit_conditions": [{"indicator": "foo", "condition": "> 1"}],
    }
    with pytest.raises(StrategyError) as exc:
        parse_strategy(bad)
    assert {e.path for e in exc.value.errors} >= {
        "entry_logic",
        "risk.stop_loss_pct",
        "exit_conditions[0].indicator",
    }


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"indicators": {"rsi": {"buy_below": 80, "sell_above": 70}}}, "indicators.rsi.buy_below"),
        ({"indicators": {"emma": {}}}, "indicators.emma"),
        ({"indicators": {"rsi": {"period": 1}}}, "indicators.rsi.period"),
        ({"indicators": {"ema": {"length": 3}}}, "indicators.ema.length"),
        ({"combine": "some"}, "combine"),
        ({"indicators": {}}, "indicators"),
    ],
)
def test_shape_a_errors(patch, path):
    with pytest.raises(StrategyError) as exc:
        parse_strategy({**SHAPE_A, **patch})
    assert path in {e.path for e in exc.value.errors}


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "close; rm -rf /",
        "< 30; import os",
        "< ema(20) or 1",
        "< ema(20)) ",
        "< ema(",
        "< ema(20,",
        "< ema(a)",
        "< 1e99999",
        "< 3..4",
        "< " + "(" * 500,
        "< " + "1" * 300,
        "> close.open",
        "> exec('x')",
        "< rsi(14).value.value",
        "crosses_above",
        "",
        "30",
        "< ema(20)[0]",
        "< ｅｍａ(20)",
    ],
)
def test_hostile_or_broken_conditions_are_refused_without_running(text, monkeypatch):
    import builtins

    def forbidden(*a, **k):
        raise AssertionError("evaluated!")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(StrategyError):
        parse_condition(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("< 30", "30"),
        (">= -1.5e2", "-150"),
        ("crosses_above macd.signal", "macd(12,26,9).signal"),
        ("<= bollinger(20,2).lower", "bollinger(20,2).lower"),
        ("> ema(50)", "ema(50)"),
        ("< close", "close"),
        ("> .5", "0.5"),
    ],
)
def test_grammar_accepts_the_language(text, label):
    _, rhs = parse_condition(text)
    assert rhs.label == label


def _strategy(entry, exit_=(), logic=("all", "any")):
    return parse_strategy(
        {
            "symbol": "BTCUSDT",
            "timeframe": "1h",
            "entry_conditions": list(entry),
            "exit_conditions": list(exit_),
            "entry_logic": logic[0],
            "exit_logic": logic[1],
        }
    )


def test_crossing_follows_the_definition_exactly():
    # close vs sma(2): equality at i-1 still counts as "at or below".
    closes = [10, 10, 10, 12, 12, 9, 9, 9, 11]
    c = frame(closes)
    s = _strategy(
        [{"indicator": "close", "condition": "crosses_above sma(2)"}],
        [{"indicator": "close", "condition": "crosses_below sma(2)"}],
    )
    sig = compile_signals(s, c)
    sma2 = pd.Series(closes, dtype=float).rolling(2).mean().to_numpy()
    cl = np.asarray(closes, float)
    expected_up = np.zeros(len(cl), bool)
    expected_dn = np.zeros(len(cl), bool)
    for i in range(2, len(cl)):
        expected_up[i] = cl[i - 1] <= sma2[i - 1] and cl[i] > sma2[i]
        expected_dn[i] = cl[i - 1] >= sma2[i - 1] and cl[i] < sma2[i]
    assert sig.entry.tolist() == expected_up.tolist() and sig.exit.tolist() == expected_dn.tolist()
    assert sig.entry[3] and sig.exit[5] and sig.warmup == 2


def test_thresholds_all_any_and_hold():
    c = frame([10, 11, 12, 13, 14, 15, 16, 17])
    above_12 = {"indicator": "close", "condition": "> 12"}
    below_16 = {"indicator": "close", "condition": "< 16"}
    all_ = compile_signals(_strategy([above_12, below_16]), c)
    assert all_.entry.tolist() == [False, False, False, True, True, True, False, False]
    any_ = compile_signals(_strategy([above_12, below_16], logic=("any", "any")), c)
    assert any_.entry.all()
    # Entry and exit on the same bar: a hold.
    hold = compile_signals(_strategy([above_12], [{"indicator": "close", "condition": "> 14"}]), c)
    assert hold.entry.tolist() == [False, False, False, True, True, False, False, False]
    assert not hold.exit.any()


def test_no_signal_during_warmup_even_with_any():
    c = frame(np.linspace(100, 50, 30))
    s = _strategy(
        [
            {"indicator": "rsi", "params": {"period": 5}, "condition": "< 30"},
            {"indicator": "close", "condition": "> 0"},
        ],
        logic=("any", "any"),
    )
    sig = compile_signals(s, c)
    assert sig.warmup == 5 and not sig.entry[:5].any() and sig.entry[5:].all()


def test_strength_grows_with_distance_past_the_threshold():
    c = frame(np.linspace(100, 60, 30) + np.tile([0.0, 2.5, 1.0], 10))
    s = _strategy([{"indicator": "rsi", "params": {"period": 5}, "condition": "< 30"}])
    res = compile_signals(s, c).conditions[0]
    fired = np.flatnonzero(res.fired)
    assert len(fired) > 3
    expected = (30 - res.left[fired]) / 30
    np.testing.assert_allclose(res.strength[fired], np.clip(expected, 0, 1))
    assert (res.strength[~res.fired] == 0).all() and len(set(np.round(res.strength[fired], 6))) > 1


def test_higher_timeframe_sees_only_closed_bars():
    closes = np.arange(1, 25, dtype=float)  # 24 hourly bars
    c = frame(closes)
    s = _strategy([{"indicator": "close", "condition": "> 0", "timeframe": "4h"}])
    res = compile_signals(s, c).conditions[0]
    # The 4h bar 00:00-04:00 closes at 04:00 = the close of the 03:00 hourly bar.
    assert np.isnan(res.left[:3]).all()
    assert res.left[3] == 4.0 and res.left[4] == 4.0 and res.left[7] == 8.0
    assert required_lookback(s) >= 0


candle_lists = st.lists(
    st.floats(min_value=-0.05, max_value=0.05, allow_nan=False), min_size=60, max_size=220
)
conditions = st.sampled_from(
    [
        {"indicator": "rsi", "params": {"period": 5}, "condition": "< 40"},
        {"indicator": "rsi", "params": {"period": 7}, "condition": "> 60"},
        {"indicator": "close", "condition": "crosses_above ema(8)"},
        {"indicator": "close", "condition": "crosses_below sma(5)"},
        {
            "indicator": "macd",
            "params": {"fast": 3, "slow": 8, "signal": 3},
            "condition": "crosses_above macd(3,8,3).signal",
        },
        {"indicator": "close", "condition": "> bollinger(10,2).middle"},
        {"indicator": "stoch", "params": {"k_period": 5, "d_period": 3}, "condition": "< 25"},
        {"indicator": "close", "condition": "> ema(3)", "timeframe": "4h"},
        {"indicator": "rsi", "params": {"period": 3}, "condition": "< 50", "timeframe": "2h"},
        {"indicator": "atr", "params": {"period": 5}, "condition": "> 1"},
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    candle_lists,
    st.lists(conditions, min_size=1, max_size=3),
    st.lists(conditions, max_size=2),
    st.sampled_from(["all", "any"]),
    st.integers(min_value=10, max_value=200),
    st.integers(0, 23),
)
def test_truncating_the_future_never_changes_a_past_signal(
    rets, entry, exit_, logic, k, start_hour
):
    closes = 100 * np.exp(np.cumsum(rets))
    c = frame(closes, start=f"2024-01-01 {start_hour:02d}:00")
    s = _strategy(entry, exit_, (logic, logic))
    full = compile_signals(s, c, interval="1h")
    k = min(k, len(c))
    part = compile_signals(s, c.iloc[:k], interval="1h")
    assert (full.entry[:k] == part.entry).all() and (full.exit[:k] == part.exit).all()
    for a, b in zip(full.conditions, part.conditions, strict=True):
        np.testing.assert_array_equal(a.left[:k], b.left)
        np.testing.assert_array_equal(a.strength[:k], b.strength)
