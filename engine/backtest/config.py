"""Backtest parameters: every assumption of a run, validated, stored with its result.

The one home of their defaults (the dataclass's field defaults, as ``DEFAULTS``) and
ranges (``BOUNDS``): the model, the API serializer and the page's form read them here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import pandas as pd

from engine.bounds import Bound, window_problem
from engine.strategy.schema import RISK_BOUNDS


class ConfigError(ValueError):
    """A parameter is out of range; ``field`` names it (a sweep's grid value can have more
    than one reason: ``messages``)."""

    def __init__(self, field: str, message: str, *more: str):
        self.field = field
        self.message = message
        self.messages = [message, *more]
        super().__init__(f"{field}: {'; '.join(self.messages)}")


FILLS = ("next_open", "close")
# None for these means "take the strategy's risk setting", never "the default".
RISK_OVERRIDES = ("position_size_pct", "stop_loss_pct", "take_profit_pct")
BOUNDS: dict[str, Bound] = {
    "initial_balance": Bound(
        0, 1e15, low_open=True, step=0.01, text="must be positive and at most 1e15"
    ),
    "fee_rate": Bound(
        0.0, 0.1, high_open=True, step=0.0001, text="must be at least 0 and below 0.1 (10%)"
    ),
    "slippage_bps": Bound(0.0, 1000.0, text="must be between 0 and 1000 basis points"),
    **RISK_BOUNDS,
}


@dataclass(frozen=True)
class BacktestConfig:
    initial_balance: float = 10_000.0
    fee_rate: float = 0.001
    slippage_bps: float = 0.0
    fill: str = "next_open"
    allow_short: bool = False
    # None: take the strategy's risk settings (position size defaults to 100%).
    position_size_pct: float | None = None
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    # Simulate only bars in [start, end]; indicators still use the history before start.
    start: datetime | pd.Timestamp | None = None
    end: datetime | pd.Timestamp | None = None

    def validate(self) -> BacktestConfig:
        def finite(name: str, value: Any) -> float:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ConfigError(name, "must be a finite number")
            return float(value)

        for name in PARAMS:  # in field order: the first bad one is reported
            value = getattr(self, name)
            if name == "fill" and value not in FILLS:
                raise ConfigError("fill", f"must be one of {', '.join(FILLS)}")
            bound = BOUNDS.get(name)
            if bound is None or (value is None and name in RISK_OVERRIDES):
                continue
            if not bound.contains(finite(name, value)):
                raise ConfigError(name, bound.message)
        if (problem := window_problem(self.start, self.end)) is not None:
            raise ConfigError("end", problem)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("start", "end"):
            if d[key] is not None:
                d[key] = (
                    pd.Timestamp(d[key]).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
                    if pd.Timestamp(d[key]).tzinfo
                    else pd.Timestamp(d[key]).strftime("%Y-%m-%dT%H:%M:%SZ")
                )
        return d


# The parameters a user sets for a run or sweep (start and end are the window, set apart).
PARAMS: tuple[str, ...] = tuple(
    f.name for f in fields(BacktestConfig) if f.name not in ("start", "end")
)
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(BacktestConfig) if f.name in PARAMS}


def config_from_params(params: Mapping[str, Any], **window: Any) -> BacktestConfig:
    """A config from submitted parameters: an absent or empty one takes its default, except
    the risk overrides, where empty means the strategy's own setting."""
    given = {k: params[k] for k in PARAMS if k in params}
    return BacktestConfig(
        **{k: v for k, v in given.items() if v is not None or k in RISK_OVERRIDES}, **window
    )
