"""What the strategy language may call: each indicator's parameters, defaults, the rules
its parameters keep (ranges, order; `validate_params`), output lines, inputs and warm-up
(the number of leading NaN bars, as TA-Lib has it). The grammar places these rules' errors
at its field paths; this package never imports the strategy language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import core

MAX_PERIOD = 10_000  # the longest window any indicator takes (about 14 months of 1h bars)


class IndicatorParamError(ValueError):
    """An indicator's parameters break one of its rules; the message names the indicator,
    the parameter and the value, and the caller adds where it came from."""


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    params: tuple[str, ...]
    defaults: tuple[float, ...]
    integer: tuple[bool, ...]
    # Allowed range per parameter: whole-number parameters take minimum <= v <= maximum;
    # real ones minimum < v <= maximum (a band of zero width means nothing).
    minimums: tuple[float, ...]
    maximums: tuple[float, ...]
    lines: tuple[str, ...]
    default_line: str
    inputs: str  # "close" or "hlc"
    # For signal strength: bounded oscillators have a fixed range; others are price-like.
    bounds: tuple[float, float] | None
    lookback: Callable[[tuple[float, ...]], int]
    compute: Callable[..., object]
    # (i, j): parameter i must be shorter than parameter j (MACD's fast and slow periods).
    shorter: tuple[int, int] | None = None
    # Drawn over the price (its values are prices: moving averages, bands) rather than in a
    # pane of its own below it (oscillators, MACD, ATR).
    overlay: bool = False

    def label(self, params: tuple[float, ...], line: str | None = None) -> str:
        shown = ",".join(_fmt(p) for p in params)
        text = f"{self.name}({shown})"
        if line and line != self.default_line:
            text += f".{line}"
        return text


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _one_window(
    name: str,
    *,
    default: int,
    minimum: int,
    inputs: str,
    bounds: tuple[float, float] | None,
    lookback: Callable[[tuple[float, ...]], int],
    compute: Callable[..., object],
    overlay: bool = False,
) -> IndicatorSpec:
    """An indicator with one window length (``period``) and one output line."""
    return IndicatorSpec(
        name=name,
        params=("period",),
        defaults=(default,),
        integer=(True,),
        minimums=(minimum,),
        maximums=(MAX_PERIOD,),
        lines=("value",),
        default_line="value",
        inputs=inputs,
        bounds=bounds,
        lookback=lookback,
        compute=compute,
        overlay=overlay,
    )


INDICATORS: dict[str, IndicatorSpec] = {
    "sma": _one_window(
        "sma",
        default=20,
        minimum=2,
        inputs="close",
        bounds=None,
        lookback=lambda p: int(p[0]) - 1,
        compute=core.sma,
        overlay=True,
    ),
    "ema": _one_window(
        "ema",
        default=20,
        minimum=2,
        inputs="close",
        bounds=None,
        lookback=lambda p: int(p[0]) - 1,
        compute=core.ema,
        overlay=True,
    ),
    "rsi": _one_window(
        "rsi",
        default=14,
        minimum=2,
        inputs="close",
        bounds=(0.0, 100.0),
        lookback=lambda p: int(p[0]),
        compute=core.rsi,
    ),
    "macd": IndicatorSpec(
        name="macd",
        params=("fast", "slow", "signal"),
        defaults=(12, 26, 9),
        integer=(True, True, True),
        minimums=(2, 2, 1),
        maximums=(MAX_PERIOD, MAX_PERIOD, MAX_PERIOD),
        lines=("macd", "signal", "hist"),
        default_line="macd",
        inputs="close",
        bounds=None,
        lookback=lambda p: int(p[1]) - 1 + int(p[2]) - 1,
        compute=core.macd,
        shorter=(0, 1),
    ),
    "bollinger": IndicatorSpec(
        name="bollinger",
        params=("period", "nbdev"),
        defaults=(20, 2.0),
        integer=(True, False),
        minimums=(2, 0.0),
        maximums=(MAX_PERIOD, 10.0),
        lines=("upper", "middle", "lower"),
        default_line="middle",
        inputs="close",
        bounds=None,
        lookback=lambda p: int(p[0]) - 1,
        compute=core.bollinger,
        overlay=True,
    ),
    "atr": _one_window(
        "atr",
        default=14,
        minimum=1,
        inputs="hlc",
        bounds=None,
        lookback=lambda p: int(p[0]),
        compute=core.atr,
    ),
    "stoch": IndicatorSpec(
        name="stoch",
        params=("k_period", "d_period"),
        defaults=(14, 3),
        integer=(True, True),
        minimums=(1, 1),
        maximums=(MAX_PERIOD, MAX_PERIOD),
        lines=("k", "d"),
        default_line="k",
        inputs="hlc",
        bounds=(0.0, 100.0),
        lookback=lambda p: int(p[0]) - 1 + 3 - 1 + int(p[1]) - 1,
        compute=core.stoch,
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


def validate_params(name: str, params: tuple[float, ...]) -> tuple[float, ...]:
    """An indicator's parameters checked against its rules (arity, whole numbers, ranges,
    order) with defaults filled in; IndicatorParamError names the first broken rule."""
    spec = INDICATORS[name]
    if len(params) > len(spec.params):
        raise IndicatorParamError(
            f"{name} takes at most {len(spec.params)} argument(s) ({', '.join(spec.params)}), "
            f"got {len(params)}"
        )
    full = tuple(params) + spec.defaults[len(params) :]
    out: list[float] = []
    for pname, value, is_int, lo, hi in zip(
        spec.params, full, spec.integer, spec.minimums, spec.maximums, strict=True
    ):
        if is_int:
            if float(value) != int(value):
                raise IndicatorParamError(f"{name} {pname} must be a whole number, got {value}")
            if not lo <= int(value) <= hi:
                raise IndicatorParamError(
                    f"{name} {pname} must be between {_fmt(lo)} and {_fmt(hi)}, got {int(value)}"
                )
            out.append(int(value))
        else:
            if not lo < float(value) <= hi:
                raise IndicatorParamError(
                    f"{name} {pname} must be in ({_fmt(lo)}, {_fmt(hi)}], got {value}"
                )
            out.append(float(value))
    if spec.shorter:
        i, j = spec.shorter
        if out[i] >= out[j]:
            raise IndicatorParamError(
                f"{name} {spec.params[i]} ({out[i]}) must be shorter than "
                f"{spec.params[j]} ({out[j]})"
            )
    return tuple(out)


def parse_spec(text: str, max_items: int = 8) -> list[tuple[str, tuple[float, ...]]]:
    """``"rsi:14,ema:20,macd:12:26:9"`` -> [(name, params)]; ValueError naming the bad part."""
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
            out.append((name, validate_params(name, params)))
        except IndicatorParamError as exc:
            raise ValueError(f"{part}: {exc}") from None
    return out
