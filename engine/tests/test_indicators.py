"""Indicators against independent textbook implementations (plain loops), to 1e-9 after
warm-up and NaN-for-NaN before it; RSI bounded; warm-up lengths as the registry says."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.indicators import (
    INDICATORS,
    IndicatorParamError,
    atr,
    bollinger,
    compute,
    ema,
    lookback,
    macd,
    rsi,
    sma,
    stoch,
    validate_params,
)
from engine.marketdata import read_candles

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return read_candles(DATA / "ETHUSDT-1h-2020-08_2021-06.csv").frame.iloc[:2000]


def ref_sma(x, p):
    out = np.full(len(x), np.nan)
    for i in range(p - 1, len(x)):
        out[i] = sum(x[i - p + 1 : i + 1]) / p
    return out


def ref_ema(x, p, seed_at=0):
    """EMA seeded with the SMA of the first p values (from seed_at), alpha 2/(p+1)."""
    out = np.full(len(x), np.nan)
    start = seed_at + p - 1
    if start >= len(x):
        return out
    out[start] = sum(x[seed_at : start + 1]) / p
    a = 2.0 / (p + 1)
    for i in range(start + 1, len(x)):
        out[i] = a * x[i] + (1 - a) * out[i - 1]
    return out


def ref_rsi(x, p):
    out = np.full(len(x), np.nan)
    gains = [max(x[i] - x[i - 1], 0.0) for i in range(1, len(x))]
    losses = [max(x[i - 1] - x[i], 0.0) for i in range(1, len(x))]
    ag, al = sum(gains[:p]) / p, sum(losses[:p]) / p
    out[p] = 100.0 if al == 0 else 100 - 100 / (1 + ag / al)
    for i in range(p + 1, len(x)):
        ag = (ag * (p - 1) + gains[i - 1]) / p
        al = (al * (p - 1) + losses[i - 1]) / p
        out[i] = 100.0 if al == 0 else 100 - 100 / (1 + ag / al)
    return out


def ref_macd(x, fast, slow, sig):
    # TA-Lib starts the fast EMA so that both EMAs line up at the slow one's first value,
    # and reports all three lines from the signal line's first value on.
    start = slow - fast
    e_fast = ref_ema(x, fast, seed_at=start)
    e_slow = ref_ema(x, slow)
    line = e_fast - e_slow
    first = slow - 1
    signal = np.full(len(x), np.nan)
    signal[first:] = ref_ema(line[first:], sig)
    hist = line - signal
    valid = ~np.isnan(signal)
    return np.where(valid, line, np.nan), signal, np.where(valid, hist, np.nan)


def ref_atr(h, lo, c, p):
    tr = [np.nan] + [
        max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))
    ]
    out = np.full(len(c), np.nan)
    out[p] = sum(tr[1 : p + 1]) / p
    for i in range(p + 1, len(c)):
        out[i] = (out[i - 1] * (p - 1) + tr[i]) / p
    return out


def ref_stoch(h, lo, c, k, d):
    fastk = np.full(len(c), np.nan)
    for i in range(k - 1, len(c)):
        hh, ll = max(h[i - k + 1 : i + 1]), min(lo[i - k + 1 : i + 1])
        fastk[i] = 0.0 if hh == ll else (c[i] - ll) / (hh - ll) * 100
    slowk = ref_sma_nan(fastk, 3)
    slowd = ref_sma_nan(slowk, d)
    valid = ~np.isnan(slowd)
    return np.where(valid, slowk, np.nan), slowd


def ref_sma_nan(x, p):
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        w = x[i - p + 1 : i + 1] if i >= p - 1 else []
        if len(w) == p and not np.isnan(w).any():
            out[i] = sum(w) / p
    return out


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert np.array_equal(np.isnan(a), np.isnan(b)), (
        np.flatnonzero(np.isnan(a))[-3:],
        np.flatnonzero(np.isnan(b))[-3:],
    )
    np.testing.assert_allclose(
        a[~np.isnan(a)], b[~np.isnan(b)], rtol=0, atol=1e-9 * max(1.0, np.nanmax(np.abs(b)))
    )


@pytest.mark.parametrize("p", [2, 5, 20, 200])
def test_sma_and_ema(candles, p):
    c = candles["close"].to_numpy()
    same(sma(c, p), ref_sma(c, p))
    same(ema(c, p), ref_ema(c, p))


@pytest.mark.parametrize("p", [2, 7, 14, 30])
def test_rsi_wilder(candles, p):
    c = candles["close"].to_numpy()
    same(rsi(c, p), ref_rsi(c, p))


@pytest.mark.parametrize(("f", "s", "g"), [(12, 26, 9), (5, 35, 5), (3, 10, 16)])
def test_macd_lines(candles, f, s, g):
    c = candles["close"].to_numpy()
    for got, want in zip(macd(c, f, s, g), ref_macd(c, f, s, g), strict=True):
        same(got, want)


def test_bollinger(candles):
    c = candles["close"].to_numpy()
    upper, middle, lower = bollinger(c, 20, 2.0)
    mid = ref_sma(c, 20)
    sd = np.full(len(c), np.nan)
    for i in range(19, len(c)):
        sd[i] = np.std(c[i - 19 : i + 1])
    same(middle, mid)
    same(upper, mid + 2 * sd)
    same(lower, mid - 2 * sd)


def test_atr_and_stoch(candles):
    h, lo, c = (candles[k].to_numpy() for k in ("high", "low", "close"))
    same(atr(h, lo, c, 14), ref_atr(h, lo, c, 14))
    k, d = stoch(h, lo, c, 14, 3)
    rk, rd = ref_stoch(h, lo, c, 14, 3)
    same(k, rk)
    same(d, rd)


@pytest.mark.parametrize("name", list(INDICATORS))
def test_warmup_is_nan_never_zero_and_matches_the_registry(candles, name):
    lines = compute(name, candles)
    n = lookback(name)
    for values in lines.values():
        assert np.isnan(values[:n]).all()
        assert not np.isnan(values[n:]).any()


def test_short_input_is_all_nan_and_bad_periods_raise():
    assert np.isnan(rsi([1.0, 2.0, 3.0], 14)).all()
    assert np.isnan(macd([1.0] * 20).macd).all()
    with pytest.raises(ValueError, match="period"):
        ema([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="fast"):
        macd([1.0] * 50, 26, 12, 9)


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("macd", (), (12, 26, 9)),
        ("macd", (5,), (5, 26, 9)),
        ("bollinger", (30, 2.5), (30, 2.5)),
        ("atr", (1,), (1,)),
        ("stoch", (1, 1), (1, 1)),
        ("sma", (10_000,), (10_000,)),
    ],
)
def test_validate_params_fills_defaults_and_keeps_values_in_range(name, params, expected):
    assert validate_params(name, params) == expected


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rsi", (14, 3), "rsi takes at most 1 argument(s) (period), got 2"),
        ("ema", (2.5,), "ema period must be a whole number, got 2.5"),
        ("sma", (1,), "sma period must be between 2 and 10000, got 1"),
        ("atr", (0,), "atr period must be between 1 and 10000, got 0"),
        ("macd", (12, 26, 0), "macd signal must be between 1 and 10000, got 0"),
        ("bollinger", (20, 0), "bollinger nbdev must be in (0, 10], got 0"),
        ("bollinger", (20, 10.5), "bollinger nbdev must be in (0, 10], got 10.5"),
        ("macd", (26, 12), "macd fast (26) must be shorter than slow (12)"),
    ],
)
def test_validate_params_names_the_broken_rule(name, params, message):
    with pytest.raises(IndicatorParamError) as info:
        validate_params(name, params)
    assert str(info.value) == message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=20, max_size=300),
    st.integers(min_value=2, max_value=30),
)
def test_rsi_stays_within_0_and_100(prices, period):
    values = rsi(np.array(prices), period)
    defined = values[~np.isnan(values)]
    assert ((defined >= 0) & (defined <= 100)).all()
