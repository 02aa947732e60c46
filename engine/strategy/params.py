"""Named strategy parameters: declared once, referred to anywhere a number goes.

A strategy may declare ``params`` (name -> default, or name -> ``{"default": n, "min": a,
"max": b}``) and refer to them as ``"${name}"``: a whole value (``{"period": "${fast}"}``,
``"stop_loss_pct": "${sl}"``) or inside a condition string (``"crosses_above ema(${slow})"``).
One value can so drive several places (the entry's and the exit's period tied together),
and a sweep can vary it by name.

``resolve_params`` is the one place references are replaced by numbers: ``parse_strategy``
calls it before anything else reads the document, so backtests, sweeps, agents, the desk
and ML all run the resolved strategy. Its errors name the field path and the parameter
(an unknown ``${x}``, a default that is not a number, a value outside the bounds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FieldError, StrategyError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
REF_RE = re.compile(r"\$\{([^}]*)\}")
MAX_PARAMS = 20
SPEC_KEYS = {"default", "min", "max"}
# Free text, never a number: a "${" in a note stays as written.
TEXT_KEYS = frozenset({"strategy_name", "name", "notes", "description", "created_at", "symbol"})


@dataclass(frozen=True)
class Param:
    """A declared parameter with the value it resolved to."""

    name: str
    value: float
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> float | dict[str, float]:
        """The normalised declaration: the bare value, or an object when it has bounds."""
        if self.min is None and self.max is None:
            return self.value
        out: dict[str, float] = {"default": self.value}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out


@dataclass(frozen=True)
class Resolved:
    """The document with every reference replaced, its parameters, and which field paths
    used which parameters (so a later error at such a path can say which value it had)."""

    document: dict[str, Any]
    params: tuple[Param, ...]
    uses: dict[str, tuple[str, ...]]


def number(value: Any) -> int | float | None:
    """A finite number (an integral float as an int: ``26.0`` reads back as ``26``), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        return None
    if not math.isfinite(as_float):
        return None
    return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float


def _text(value: float) -> str:
    """A number as the condition grammar reads it back (26, not 26.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _declared(raw: Any, errors: list[FieldError]) -> dict[str, Param]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError("params", 'must be an object such as {"slow": 26}'))
        return {}
    if len(raw) > MAX_PARAMS:
        errors.append(FieldError("params", f"at most {MAX_PARAMS} parameters"))
        return {}
    out: dict[str, Param] = {}
    for name, spec in raw.items():
        path = f"params.{name}"
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(
                FieldError(path, "a parameter name is a letter or _ then letters, digits or _")
            )
            continue
        low = high = None
        if isinstance(spec, Mapping):
            for key in spec:
                if key not in SPEC_KEYS:
                    errors.append(
                        FieldError(f"{path}.{key}", "unknown field; allowed: default, max, min")
                    )
            default = number(spec.get("default"))
            if default is None:
                errors.append(FieldError(f"{path}.default", "required: a number"))
            bad = False
            for key in ("min", "max"):
                if spec.get(key) is not None and number(spec[key]) is None:
                    errors.append(FieldError(f"{path}.{key}", "must be a number"))
                    bad = True
            if default is None or bad:
                continue
            low, high = number(spec.get("min")), number(spec.get("max"))
            if low is not None and high is not None and low > high:
                errors.append(FieldError(f"{path}.min", f"must not be above max ({_text(high)})"))
                continue
        else:
            default = number(spec)
            if default is None:
                errors.append(
                    FieldError(path, 'must be a number or {"default": n, "min": a, "max": b}')
                )
                continue
        out[name] = Param(name, default, low, high)
    return out


def declared(data: Mapping) -> tuple[Param, ...]:
    """The parameters a document declares that are well formed, at their defaults (a
    refused declaration is left out; ``resolve_params`` says why)."""
    return tuple(_declared(data.get("params"), []).values())


def _bounded(param: Param, value: Any, path: str, errors: list[FieldError]) -> Param | None:
    v = number(value)
    if v is None:
        errors.append(FieldError(path, f"{param.name}: must be a number, got {value!r}"))
        return None
    if param.min is not None and v < param.min:
        errors.append(
            FieldError(path, f"{param.name} = {_text(v)} is below its min {_text(param.min)}")
        )
        return None
    if param.max is not None and v > param.max:
        errors.append(
            FieldError(path, f"{param.name} = {_text(v)} is above its max {_text(param.max)}")
        )
        return None
    return Param(param.name, v, param.min, param.max)


def resolve_params(data: Mapping, values: Mapping[str, Any] | None = None) -> Resolved:
    """Replace every ``${name}`` in ``data`` by the parameter's value: ``values[name]`` when
    given (a sweep's combination), else its declared default. StrategyError names the path
    and the parameter of each problem."""
    errors: list[FieldError] = []
    declared = _declared(data.get("params"), errors)
    raw = data.get("params")
    # Declared, even if refused (its error is already there): not "unknown" where used.
    named = [n for n in raw if isinstance(n, str)] if isinstance(raw, Mapping) else []
    params: dict[str, Param] = {}
    for name, param in declared.items():
        given = (values or {}).get(name, param.value)
        if (p := _bounded(param, given, f"params.{name}", errors)) is not None:
            params[name] = p
    for name in values or {}:
        if name not in named:
            errors.append(FieldError(f"params.{name}", _unknown(name, named)))
    uses: dict[str, tuple[str, ...]] = {}

    def sub(node: Any, path: str) -> Any:
        if isinstance(node, Mapping):
            return {k: sub(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [sub(v, f"{path}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, str) or "${" not in node:
            return node
        names = REF_RE.findall(node)
        if node.count("${") != len(names):
            errors.append(FieldError(path, "a parameter reference is written ${name}"))
            return node
        missing = [n for n in names if n not in params]
        for name in dict.fromkeys(missing):
            if name in named:  # declared but its value was refused: already reported
                continue
            errors.append(FieldError(path, _unknown(name, named, ref=True)))
        if missing:
            return node
        uses[path] = tuple(dict.fromkeys(names))
        whole = REF_RE.fullmatch(node.strip())
        if whole:
            return params[whole.group(1)].value
        return REF_RE.sub(lambda m: _text(params[m.group(1)].value), node)

    document = {k: (v if k == "params" or k in TEXT_KEYS else sub(v, k)) for k, v in data.items()}
    document.pop("params", None)
    if errors:
        raise StrategyError(errors)
    return Resolved(document, tuple(params.values()), uses)


def _unknown(name: str, declared: list[str], ref: bool = False) -> str:
    what = f"${{{name}}}" if ref else repr(name)
    have = f"declared: {', '.join(declared)}" if declared else "the strategy declares no params"
    return f"unknown parameter {what}; {have}"


def explain(
    errors: list[FieldError], uses: Mapping[str, tuple[str, ...]], params
) -> list[FieldError]:
    """Errors at a field that took a parameter's value, with the value it took (``ema
    period must be >= 2 (slow = 1)``): the reader sees which parameter to change."""
    values = {p.name: p.value for p in params}
    out = []
    for err in errors:
        names = [n for path, used in uses.items() if _related(err.path, path) for n in used]
        if names:
            told = ", ".join(f"{n} = {_text(values[n])}" for n in dict.fromkeys(names))
            err = FieldError(err.path, f"{err.message} ({told})")
        out.append(err)
    return out


def _related(error_path: str, use_path: str) -> bool:
    """The error is at the field that used the parameter, inside it, or at the object
    holding it (shape A's ``indicators.macd`` for ``indicators.macd.fast``) but not at a
    whole list or the whole strategy."""
    if (
        error_path == use_path
        or use_path.startswith((error_path + ".", error_path + "["))
        and ("." in error_path or "[" in error_path)
    ):
        return True
    return error_path.startswith((use_path + ".", use_path + "["))
