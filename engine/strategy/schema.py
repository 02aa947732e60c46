"""Both strategy shapes, validated and normalised into one frozen form.

Shape A (indicator thresholds) and shape B (entry/exit conditions) become the same
``Strategy``: lists of ``Condition`` (left operand, operator, right operand) per side,
their combination logic and the risk settings. ``Strategy.to_dict()`` is itself a
valid shape-B document, so a normalised strategy parses back to itself.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.bounds import Bound
from engine.indicators import INDICATORS, PRICE_FIELDS
from engine.marketdata import INTERVAL_MS, INTERVALS

from .errors import FieldError, StrategyError
from .grammar import Operand, check_line, check_params, parse_condition
from .params import Param, explain, resolve_params
from .resample import builds_from

SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,29}$")
MAX_CONDITIONS = 20
SHAPE_A_KEYS = {
    "symbol",
    "indicators",
    "combine",
    "risk",
    "timeframe",
    "name",
    "strategy_name",
    "notes",
    "description",
    "created_at",
    "params",
}
SHAPE_B_KEYS = {
    "symbol",
    "strategy_name",
    "name",
    "timeframe",
    "entry_conditions",
    "exit_conditions",
    "entry_logic",
    "exit_logic",
    "risk",
    "notes",
    "description",
    "created_at",
    "shape",
    "params",
}
CONDITION_KEYS = {"indicator", "params", "line", "condition", "timeframe"}
# The risk block's ranges; a backtest's own risk overrides (BacktestConfig) take the same.
RISK_BOUNDS = {
    "stop_loss_pct": Bound(0, 100, low_open=True, high_open=True, step=0.0001),
    "take_profit_pct": Bound(0, 10_000, low_open=True, step=0.0001),
    "position_size_pct": Bound(0, 100, low_open=True, step=0.0001),
}
RISK_KEYS = set(RISK_BOUNDS)


@dataclass(frozen=True)
class Condition:
    path: str
    side: str  # "entry" | "exit"
    left: Operand
    op: str
    right: Operand
    timeframe: str | None = None

    @property
    def label(self) -> str:
        tf = f" [{self.timeframe}]" if self.timeframe else ""
        return f"{self.left.label} {self.op} {self.right.label}{tf}"

    @property
    def is_crossing(self) -> bool:
        return self.op.startswith("crosses")

    def to_dict(self) -> dict[str, Any]:
        left = self.left
        out: dict[str, Any] = {"indicator": left.name, "condition": f"{self.op} {self.right.label}"}
        if left.kind == "indicator":
            spec = INDICATORS[left.name]
            out["params"] = dict(zip(spec.params, left.params, strict=True))
            if left.line and left.line != spec.default_line:
                out["line"] = left.line
        if self.timeframe:
            out["timeframe"] = self.timeframe
        return out


@dataclass(frozen=True)
class Risk:
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    position_size_pct: float = 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "stop_loss_pct": self.stop_loss_pct,
            "take_profit_pct": self.take_profit_pct,
            "position_size_pct": self.position_size_pct,
        }


@dataclass(frozen=True)
class Strategy:
    name: str
    symbol: str
    timeframe: str
    entry: tuple[Condition, ...]
    exit: tuple[Condition, ...]
    entry_logic: str
    exit_logic: str
    risk: Risk
    notes: str
    shape: str
    params: tuple[Param, ...] = ()

    @property
    def param_values(self) -> dict[str, float]:
        """The named parameters with the values this strategy was resolved with."""
        return {p.name: p.value for p in self.params}

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.entry + self.exit

    def to_dict(self) -> dict[str, Any]:
        """The normalised, resolved strategy: every parameter reference replaced by its
        value; the declarations kept (with those values as defaults) when there are any."""
        out = {
            "strategy_name": self.name,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "entry_conditions": [c.to_dict() for c in self.entry],
            "exit_conditions": [c.to_dict() for c in self.exit],
            "entry_logic": self.entry_logic,
            "exit_logic": self.exit_logic,
            "risk": self.risk.to_dict(),
            "notes": self.notes,
        }
        if self.params:
            out["params"] = {p.name: p.to_dict() for p in self.params}
        return out

    def indicators_used(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in self.conditions:
            for operand in (c.left, c.right):
                if operand.kind == "indicator":
                    label = INDICATORS[operand.name].label(operand.params)
                    seen.setdefault(label, None)
        return list(seen)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def run(self, fn, *args):
        try:
            return fn(*args)
        except StrategyError as exc:
            self.errors.extend(exc.errors)
            return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond a double's range: not a number we can use
        return None
    return number if math.isfinite(number) else None


def _timeframe(value: Any, path: str, errs: _Collector, base: str | None = None) -> str | None:
    if value is None:
        return None
    if value not in INTERVALS:
        errs.add(path, f"unknown timeframe {value!r}; expected one of {', '.join(INTERVALS)}")
        return None
    if base and INTERVAL_MS[value] < INTERVAL_MS[base]:
        errs.add(path, f"timeframe {value} is lower than the strategy's {base}")
        return None
    if base and not builds_from(value, base):
        errs.add(path, f"timeframe {value} is not a multiple of the strategy's {base}")
        return None
    return None if value == base else value


def _risk(data: Any, errs: _Collector) -> Risk:
    if data is None:
        return Risk()
    if not isinstance(data, Mapping):
        errs.add("risk", "must be an object")
        return Risk()
    for key in data:
        if key not in RISK_KEYS:
            errs.add(f"risk.{key}", f"unknown field; allowed: {', '.join(sorted(RISK_KEYS))}")
    out: dict[str, float | None] = {}
    for key, bound in RISK_BOUNDS.items():
        raw = data.get(key)
        if raw is None:
            continue
        value = _num(raw)
        if value is None:
            errs.add(f"risk.{key}", "must be a number")
        elif not bound.contains(value):
            errs.add(f"risk.{key}", bound.message)
        else:
            out[key] = value
    return Risk(
        stop_loss_pct=out.get("stop_loss_pct"),
        take_profit_pct=out.get("take_profit_pct"),
        position_size_pct=out.get("position_size_pct", 100.0),
    )


LOGICS = ("all", "any")  # how a strategy's conditions combine


def _logic(value: Any, path: str, default: str, errs: _Collector) -> str:
    if value is None:
        return default
    if value not in LOGICS:
        errs.add(path, "must be 'all' or 'any'")
        return default
    return value


def _condition(item: Any, path: str, side: str, base_tf: str, errs: _Collector) -> Condition | None:
    if not isinstance(item, Mapping):
        errs.add(path, "must be an object with 'indicator' and 'condition'")
        return None
    before = len(errs.errors)
    for key in item:
        if key not in CONDITION_KEYS:
            errs.add(
                f"{path}.{key}", f"unknown field; allowed: {', '.join(sorted(CONDITION_KEYS))}"
            )
    name = item.get("indicator")
    if not isinstance(name, str) or not name:
        errs.add(f"{path}.indicator", "required: an indicator or price field name")
        return None
    name_l = name.strip().lower()
    left: Operand | None = None
    if name_l in PRICE_FIELDS:
        if item.get("params"):
            errs.add(f"{path}.params", f"the price field {name_l} takes no params")
        if item.get("line"):
            errs.add(f"{path}.line", f"the price field {name_l} has no lines")
        left = Operand(kind="field", name=name_l)
    elif name_l in INDICATORS:
        spec = INDICATORS[name_l]
        raw = item.get("params") or {}
        values: list[float] = []
        if isinstance(raw, Mapping):
            for key in raw:
                if key not in spec.params:
                    errs.add(
                        f"{path}.params.{key}",
                        f"{name_l} has no parameter {key!r}; it takes {', '.join(spec.params)}",
                    )
            for pos, pname in enumerate(spec.params):
                if pname in raw:
                    v = _num(raw[pname])
                    if v is None:
                        errs.add(f"{path}.params.{pname}", "must be a number")
                        v = spec.defaults[pos]
                    values.append(v)
                else:
                    values.append(spec.defaults[pos])
        elif isinstance(raw, list):
            for pos, v in enumerate(raw):
                num = _num(v)
                if num is None:
                    errs.add(f"{path}.params[{pos}]", "must be a number")
                values.append(num if num is not None else 0.0)
        else:
            errs.add(f"{path}.params", 'must be an object such as {"period": 14} or a list')
        if len(errs.errors) == before:
            params = errs.run(check_params, name_l, tuple(values), f"{path}.params")
            line = errs.run(check_line, name_l, item.get("line"), f"{path}.line")
            if params is not None and len(errs.errors) == before:
                left = Operand(kind="indicator", name=name_l, params=params, line=line)
    else:
        errs.add(f"{path}.indicator", f"unknown indicator {name!r}")
    tf = _timeframe(item.get("timeframe"), f"{path}.timeframe", errs, base_tf)
    parsed = errs.run(parse_condition, item.get("condition"), f"{path}.condition")
    if left is None or parsed is None or len(errs.errors) != before:
        return None
    op, right = parsed
    if left.kind == "number":
        errs.add(path, "the left side cannot be a number")
        return None
    return Condition(path=path, side=side, left=left, op=op, right=right, timeframe=tf)


def _conditions(
    raw: Any, key: str, side: str, base_tf: str, errs: _Collector, required: bool
) -> tuple[Condition, ...]:
    if raw is None:
        if required:
            errs.add(key, "required: a list of conditions")
        return ()
    if not isinstance(raw, list):
        errs.add(key, "must be a list of conditions")
        return ()
    if required and not raw:
        errs.add(key, "needs at least one condition")
    if len(raw) > MAX_CONDITIONS:
        errs.add(key, f"at most {MAX_CONDITIONS} conditions")
        return ()
    out = [_condition(item, f"{key}[{i}]", side, base_tf, errs) for i, item in enumerate(raw)]
    return tuple(c for c in out if c is not None)


def _shape_a(
    data: Mapping, base_tf: str, errs: _Collector
) -> tuple[tuple[Condition, ...], tuple[Condition, ...], str, str]:
    for key in data:
        if key not in SHAPE_A_KEYS:
            errs.add(
                key,
                f"unknown field for an indicator-threshold strategy; allowed: {', '.join(sorted(SHAPE_A_KEYS))}",
            )
    inds = data.get("indicators")
    if not isinstance(inds, Mapping) or not inds:
        errs.add("indicators", 'must be a non-empty object such as {"rsi": {"period": 14}}')
        return (), (), "any", "any"
    combine = _logic(data.get("combine"), "combine", "any", errs)
    entry: list[Condition] = []
    exit_: list[Condition] = []
    close = Operand(kind="field", name="close")
    allowed = {
        "rsi": {"period", "buy_below", "sell_above"},
        "ema": {"period", "buy_crosses_above", "sell_crosses_below"},
        "sma": {"period", "buy_crosses_above", "sell_crosses_below"},
        "macd": {"fast", "slow", "signal", "buy_crosses_above", "sell_crosses_below"},
    }
    for name, cfg in inds.items():
        path = f"indicators.{name}"
        if name not in allowed:
            errs.add(path, f"unknown indicator {name!r}; shape A takes {', '.join(allowed)}")
            continue
        if cfg is None:
            cfg = {}
        if not isinstance(cfg, Mapping):
            errs.add(path, "must be an object of settings")
            continue
        bad = [k for k in cfg if k not in allowed[name]]
        for k in bad:
            errs.add(
                f"{path}.{k}", f"unknown setting; {name} takes {', '.join(sorted(allowed[name]))}"
            )
        if bad:
            continue
        if name == "rsi":
            period = _num(cfg.get("period", INDICATORS["rsi"].defaults[0]))
            buy, sell = _num(cfg.get("buy_below", 30)), _num(cfg.get("sell_above", 70))
            if period is None:
                errs.add(f"{path}.period", "must be a number")
                continue
            params = errs.run(check_params, "rsi", (period,), f"{path}.period")
            for key, v in (("buy_below", buy), ("sell_above", sell)):
                if v is None or not 0 <= v <= 100:
                    errs.add(f"{path}.{key}", "must be a number between 0 and 100")
            if (
                params is None
                or buy is None
                or sell is None
                or not (0 <= buy <= 100 and 0 <= sell <= 100)
            ):
                continue
            if buy >= sell:
                errs.add(f"{path}.buy_below", f"must be below sell_above ({sell:g})")
                continue
            rsi_op = Operand(kind="indicator", name="rsi", params=params)
            entry.append(
                Condition(
                    f"{path}.buy_below", "entry", rsi_op, "<", Operand(kind="number", value=buy)
                )
            )
            exit_.append(
                Condition(
                    f"{path}.sell_above", "exit", rsi_op, ">", Operand(kind="number", value=sell)
                )
            )
        elif name in ("ema", "sma"):
            period = _num(cfg.get("period", INDICATORS[name].defaults[0]))
            if period is None:
                errs.add(f"{path}.period", "must be a number")
                continue
            params = errs.run(check_params, name, (period,), f"{path}.period")
            if params is None:
                continue
            ind = Operand(kind="indicator", name=name, params=params)
            if cfg.get("buy_crosses_above", True):
                entry.append(
                    Condition(f"{path}.buy_crosses_above", "entry", close, "crosses_above", ind)
                )
            if cfg.get("sell_crosses_below", True):
                exit_.append(
                    Condition(f"{path}.sell_crosses_below", "exit", close, "crosses_below", ind)
                )
        else:
            values = tuple(
                _num(cfg.get(k, d))
                for k, d in zip(INDICATORS["macd"].params, INDICATORS["macd"].defaults, strict=True)
            )
            if any(v is None for v in values):
                errs.add(path, "fast, slow and signal must be numbers")
                continue
            params = errs.run(check_params, "macd", values, path)
            if params is None:
                continue
            line = Operand(kind="indicator", name="macd", params=params, line="macd")
            signal = Operand(kind="indicator", name="macd", params=params, line="signal")
            if cfg.get("buy_crosses_above", True):
                entry.append(
                    Condition(f"{path}.buy_crosses_above", "entry", line, "crosses_above", signal)
                )
            if cfg.get("sell_crosses_below", True):
                exit_.append(
                    Condition(f"{path}.sell_crosses_below", "exit", line, "crosses_below", signal)
                )
    if not entry and not errs.errors:
        errs.add("indicators", "no indicator produces a buy signal")
    return tuple(entry), tuple(exit_), combine, combine


def parse_strategy(data: Mapping | str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Validate and normalise a strategy; StrategyError lists every problem with its path.

    Named parameters are resolved first (``resolve_params``): ``params`` gives values for
    some of them (a sweep's combination), the others keep their declared defaults."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StrategyError([FieldError("", f"not valid JSON: {exc}")]) from None
    if not isinstance(data, Mapping):
        raise StrategyError([FieldError("", "a strategy must be a JSON object")])
    resolved = resolve_params(data, params)
    try:
        return _parse_resolved(resolved.document, resolved.params)
    except StrategyError as exc:
        raise StrategyError(explain(exc.errors, resolved.uses, resolved.params)) from None


def _parse_resolved(data: Mapping, params: tuple[Param, ...]) -> Strategy:
    errs = _Collector()
    symbol = data.get("symbol", "")
    if symbol and (not isinstance(symbol, str) or not SYMBOL_RE.match(symbol)):
        errs.add("symbol", "must be a symbol such as BTCUSDT")
        symbol = ""
    symbol = str(symbol).upper()
    timeframe = data.get("timeframe") or "1h"
    if timeframe not in INTERVALS:
        errs.add(
            "timeframe", f"unknown timeframe {timeframe!r}; expected one of {', '.join(INTERVALS)}"
        )
        timeframe = "1h"
    name = data.get("strategy_name") or data.get("name") or ""
    if not isinstance(name, str) or len(name) > 120:
        errs.add("strategy_name", "must be a string of at most 120 characters")
        name = ""
    notes = data.get("notes") or data.get("description") or ""
    if not isinstance(notes, str):
        errs.add("notes", "must be a string")
        notes = ""
    if "indicators" in data:
        shape = "A"
        entry, exit_, entry_logic, exit_logic = _shape_a(data, timeframe, errs)
    elif "entry_conditions" in data:
        shape = "B"
        for key in data:
            if key not in SHAPE_B_KEYS:
                errs.add(key, f"unknown field; allowed: {', '.join(sorted(SHAPE_B_KEYS))}")
        entry = _conditions(
            data.get("entry_conditions"), "entry_conditions", "entry", timeframe, errs, True
        )
        exit_ = _conditions(
            data.get("exit_conditions"), "exit_conditions", "exit", timeframe, errs, False
        )
        entry_logic = _logic(data.get("entry_logic"), "entry_logic", "all", errs)
        exit_logic = _logic(data.get("exit_logic"), "exit_logic", "any", errs)
    else:
        errs.add(
            "",
            "a strategy needs 'indicators' (threshold shape) or 'entry_conditions' (conditions shape)",
        )
        raise StrategyError(errs.errors)
    risk = _risk(data.get("risk"), errs)
    if errs.errors:
        raise StrategyError(errs.errors)
    return Strategy(
        name=name.strip() or (f"{symbol} strategy" if symbol else "strategy"),
        symbol=symbol,
        timeframe=timeframe,
        entry=entry,
        exit=exit_,
        entry_logic=entry_logic,
        exit_logic=exit_logic,
        risk=risk,
        notes=notes,
        shape=shape,
        params=params,
    )
