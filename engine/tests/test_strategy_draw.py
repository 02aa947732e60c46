"""What a chart draws for a strategy: the values its signals were computed from, each
indicator once with all its lines, overlays on the price and thresholds in their pane."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.indicators import bollinger, ema, macd, rsi
from engine.strategy import compile_signals, strategy_drawing
from engine.tests.test_strategy import _strategy, conditions, frame

STRATEGY = [
    {"indicator": "rsi", "params": {"period": 14}, "condition": "< 30"},
    {"indicator": "close", "condition": "crosses_above ema(20)"},
    {"indicator": "macd", "params": {"fast": 12, "slow": 26, "signal": 9}, "condition": "> 0"},
]
EXIT = [
    {"indicator": "rsi", "params": {"period": 14}, "condition": "> 70"},
    {"indicator": "close", "condition": "> bollinger(20,2).upper"},
    {"indicator": "close", "condition": "< ema(20)"},
]


def _closes(n=300, seed=3):
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


def test_each_indicator_once_with_all_its_lines_and_the_pane_it_belongs_to():
    c = frame(_closes())
    d = strategy_drawing(_strategy(STRATEGY, EXIT), c, interval="1h")
    assert [(x.label, x.overlay) for x in d.lines] == [
        ("rsi(14)", False),
        ("ema(20)", True),
        ("macd(12,26,9)", False),
        ("macd(12,26,9).signal", False),
        ("macd(12,26,9).hist", False),
        ("bollinger(20,2).upper", True),
        ("bollinger(20,2)", True),
        ("bollinger(20,2).lower", True),
    ]
    assert [x.group for x in d.lines[2:5]] == ["macd(12,26,9)"] * 3
    # The thresholds oscillators are compared with, in their own pane; none for prices.
    assert [(lv.group, lv.value) for lv in d.levels] == [
        ("rsi(14)", 30.0),
        ("macd(12,26,9)", 0.0),
        ("rsi(14)", 70.0),
    ]


def test_values_are_the_indicator_functions_and_what_the_signals_compared():
    closes = _closes()
    c = frame(closes)
    s = _strategy(STRATEGY, EXIT)
    by = {x.label: x.values for x in strategy_drawing(s, c, interval="1h").lines}
    np.testing.assert_allclose(by["rsi(14)"], rsi(c["close"], 14), equal_nan=True)
    np.testing.assert_allclose(by["ema(20)"], ema(c["close"], 20), equal_nan=True)
    m = macd(c["close"], 12, 26, 9)
    np.testing.assert_allclose(by["macd(12,26,9).signal"], m[1], equal_nan=True)
    b = bollinger(c["close"], 20, 2.0)
    np.testing.assert_allclose(by["bollinger(20,2).lower"], b[2], equal_nan=True)
    signals = compile_signals(s, c, interval="1h")
    rsi_cond = signals.conditions[0]
    np.testing.assert_array_equal(by["rsi(14)"], rsi_cond.left)
    assert np.isnan(by["rsi(14)"][:14]).all() and np.isfinite(by["rsi(14)"][14:]).all()


def test_a_higher_timeframe_line_is_labelled_and_appears_only_after_its_bar_closed():
    c = frame(np.arange(1, 49, dtype=float))
    s = _strategy([{"indicator": "close", "condition": "> ema(2)", "timeframe": "4h"}])
    (line,) = strategy_drawing(s, c, interval="1h").lines
    assert line.label == "ema(2) [4h]" and line.overlay
    assert np.isnan(line.values[:7]).all() and np.isfinite(line.values[7])
    np.testing.assert_array_equal(line.values, compile_signals(s, c, "1h").conditions[0].right)


def test_no_candles_draw_nothing():
    d = strategy_drawing(_strategy(STRATEGY, EXIT), frame(_closes())[:0], interval="1h")
    assert d.lines == () and d.levels == ()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(-0.05, 0.05, allow_nan=False), min_size=60, max_size=200),
    st.lists(conditions, min_size=1, max_size=3),
    st.integers(10, 200),
)
def test_truncating_the_future_never_changes_a_drawn_value(rets, entry, k):
    c = frame(100 * np.exp(np.cumsum(rets)))
    s = _strategy(entry)
    k = min(k, len(c))
    full = strategy_drawing(s, c, interval="1h")
    part = strategy_drawing(s, c.iloc[:k], interval="1h")
    assert [x.label for x in full.lines] == [x.label for x in part.lines]
    for a, b in zip(full.lines, part.lines, strict=True):
        np.testing.assert_array_equal(a.values[:k], b.values)
