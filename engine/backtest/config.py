"""Backtest parameters: every assumption of a run, validated, stored with its result."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd


class ConfigError(ValueError):
    """A parameter is out of range; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


FILLS = ("next_open", "close")


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

        if finite("initial_balance", self.initial_balance) <= 0 or self.initial_balance > 1e15:
            raise ConfigError("initial_balance", "must be positive and at most 1e15")
        if not 0 <= finite("fee_rate", self.fee_rate) < 0.1:
            raise ConfigError("fee_rate", "must be at least 0 and below 0.1 (10%)")
        if not 0 <= finite("slippage_bps", self.slippage_bps) <= 1000:
            raise ConfigError("slippage_bps", "must be between 0 and 1000 basis points")
        if self.fill not in FILLS:
            raise ConfigError("fill", f"must be one of {', '.join(FILLS)}")
        if (
            self.position_size_pct is not None
            and not 0 < finite("position_size_pct", self.position_size_pct) <= 100
        ):
            raise ConfigError("position_size_pct", "must be greater than 0 and at most 100")
        if (
            self.stop_loss_pct is not None
            and not 0 < finite("stop_loss_pct", self.stop_loss_pct) < 100
        ):
            raise ConfigError("stop_loss_pct", "must be greater than 0 and below 100")
        if (
            self.take_profit_pct is not None
            and not 0 < finite("take_profit_pct", self.take_profit_pct) <= 10_000
        ):
            raise ConfigError("take_profit_pct", "must be greater than 0 and at most 10000")
        if (
            self.start is not None
            and self.end is not None
            and pd.Timestamp(self.end) < pd.Timestamp(self.start)
        ):
            raise ConfigError("end", "is before start")
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
