"""What the strategy language may call: each indicator's parameters, defaults, output
lines, inputs and warm-up (the number of leading NaN bars, as TA-Lib has it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import core


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    params: tuple[str, ...]
    defaults: tuple[float, ...]
    integer: tuple[bool, ...]
    lines: tuple[str, ...]
    default_line: str
    inputs: str  # "close" or "hlc"
    # For signal strength: bounded oscillators have a fixed range; others are price-like.
    bounds: tuple[float, float] | None
    lookback: Callable[[tuple[float, ...]], int]
    compute: Callable[..., object]

    def label(self, params: tuple[float, ...], line: str | None = None) -> str:
        shown = ",".join(_fmt(p) for p in params)
        text = f"{self.name}({shown})"
        if line and line != self.default_line:
            text += f".{line}"
        return text


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


INDICATORS: dict[str, IndicatorSpec] = {
    "sma": IndicatorSpec(
        "sma",
        ("period",),
        (20,),
        (True,),
        ("value",),
        "value",
        "close",
        None,
        lambda p: int(p[0]) - 1,
        core.sma,
    ),
    "ema": IndicatorSpec(
        "ema",
        ("period",),
        (20,),
        (True,),
        ("value",),
        "value",
        "close",
        None,
        lambda p: int(p[0]) - 1,
        core.ema,
    ),
    "rsi": IndicatorSpec(
        "rsi",
        ("period",),
        (14,),
        (True,),
        ("value",),
        "value",
        "close",
        (0.0, 100.0),
        lambda p: int(p[0]),
        core.rsi,
    ),
    "macd": IndicatorSpec(
        "macd",
        ("fast", "slow", "signal"),
        (12, 26, 9),
        (True, True, True),
        ("macd", "signal", "hist"),
        "macd",
        "close",
        None,
        lambda p: int(p[1]) - 1 + int(p[2]) - 1,
        core.macd,
    ),
    "bollinger": IndicatorSpec(
        "bollinger",
        ("period", "nbdev"),
        (20, 2.0),
        (True, False),
        ("upper", "middle", "lower"),
        "middle",
        "close",
        None,
        lambda p: int(p[0]) - 1,
        core.bollinger,
    ),
    "atr": IndicatorSpec(
        "atr",
        ("period",),
        (14,),
        (True,),
        ("value",),
        "value",
        "hlc",
        None,
        lambda p: int(p[0]),
        core.atr,
    ),
    "stoch": IndicatorSpec(
        "stoch",
        ("k_period", "d_period"),
        (14, 3),
        (True, True),
        ("k", "d"),
        "k",
        "hlc",
        (0.0, 100.0),
        lambda p: int(p[0]) - 1 + 3 - 1 + int(p[1]) - 1,
        core.stoch,
    ),
}
PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


def lookback(name: str, params: tuple[float, ...] | None = None) -> int:
    """Leading NaN bars of an indicator (0 for a price field)."""
    if name in PRICE_FIELDS:
        return 0
    spec = INDICATORS[name]
    return spec.lookback(tuple(params) if params else spec.defaults)


def compute(
    name: str, candles: pd.DataFrame, params: tuple[float, ...] | None = None
) -> dict[str, np.ndarray]:
    """Every line of an indicator over a candle frame, by line name."""
    if name in PRICE_FIELDS:
        return {"value": candles[name].to_numpy(dtype="float64")}
    spec = INDICATORS[name]
    args = [
        int(v) if is_int else float(v)
        for v, is_int in zip(tuple(params) if params else spec.defaults, spec.integer, strict=True)
    ]
    if spec.inputs == "hlc":
        out = spec.compute(candles["high"], candles["low"], candles["close"], *args)
    else:
        out = spec.compute(candles["close"], *args)
    if isinstance(out, np.ndarray):
        return {"value": out}
    return dict(zip(spec.lines, out, strict=True))


def parse_spec(text: str, max_items: int = 8) -> list[tuple[str, tuple[float, ...]]]:
    """``"rsi:14,ema:20,macd:12:26:9"`` -> [(name, params)]; ValueError naming the bad part.
    Parameters are checked for arity and range by the strategy grammar's rules."""
    from engine.strategy.errors import StrategyError
    from engine.strategy.grammar import check_params

    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise ValueError("empty indicator list")
    if len(parts) > max_items:
        raise ValueError(f"at most {max_items} indicators")
    out = []
    for part in parts:
        bits = part.split(":")
        name = bits[0].lower()
        if name not in INDICATORS:
            raise ValueError(f"unknown indicator {bits[0]!r}; choose from {', '.join(INDICATORS)}")
        try:
            params = tuple(float(b) for b in bits[1:])
        except ValueError:
            raise ValueError(f"bad parameters in {part!r}") from None
        try:
            out.append((name, check_params(name, params, part)))
        except StrategyError as exc:
            raise ValueError(str(exc)) from None
    return out
