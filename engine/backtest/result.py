"""The result of a backtest: trades (columnar, materialised on demand), the equity curve,
metrics and the assumptions, with a JSON-safe ``to_dict``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .simulate import EXIT_REASONS


def iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe(x: Any) -> Any:
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


@dataclass(frozen=True)
class Trade:
    side: str
    entry_time: pd.Timestamp
    exit_time: pd.Timestamp
    entry_price: float
    exit_price: float
    quantity: float
    entry_fee: float
    exit_fee: float
    pnl: float
    return_pct: float
    bars_held: int
    exit_reason: str
    entry_index: int
    exit_index: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "entry_time": iso(self.entry_time),
            "exit_time": iso(self.exit_time),
            "entry_price": _safe(self.entry_price),
            "exit_price": _safe(self.exit_price),
            "quantity": _safe(self.quantity),
            "entry_fee": _safe(self.entry_fee),
            "exit_fee": _safe(self.exit_fee),
            "pnl": _safe(self.pnl),
            "return_pct": _safe(self.return_pct),
            "bars_held": int(self.bars_held),
            "exit_reason": self.exit_reason,
        }


@dataclass(frozen=True)
class TradeColumns:
    side: np.ndarray
    entry_index: np.ndarray
    exit_index: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    quantity: np.ndarray
    entry_fee: np.ndarray
    exit_fee: np.ndarray
    pnl: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return len(self.pnl)

    @property
    def return_pct(self) -> np.ndarray:
        cost = self.quantity * self.entry_price + self.entry_fee
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cost > 0, self.pnl / cost * 100.0, 0.0)


@dataclass(frozen=True)
class BacktestResult:
    index: pd.DatetimeIndex
    columns: TradeColumns
    equity: pd.Series
    metrics: dict[str, Any]
    config: dict[str, Any]
    assumptions: dict[str, Any]
    engine_version: str
    strategy: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def trades(self) -> list[Trade]:
        c = self.columns
        ret = c.return_pct
        return [
            Trade(
                side="long" if c.side[k] == 1 else "short",
                entry_time=self.index[c.entry_index[k]],
                exit_time=self.index[c.exit_index[k]],
                entry_price=float(c.entry_price[k]),
                exit_price=float(c.exit_price[k]),
                quantity=float(c.quantity[k]),
                entry_fee=float(c.entry_fee[k]),
                exit_fee=float(c.exit_fee[k]),
                pnl=float(c.pnl[k]),
                return_pct=float(ret[k]),
                bars_held=int(c.exit_index[k] - c.entry_index[k]),
                exit_reason=EXIT_REASONS[int(c.reason[k])],
                entry_index=int(c.entry_index[k]),
                exit_index=int(c.exit_index[k]),
            )
            for k in range(len(c))
        ]

    def equity_points(self, max_points: int | None = None) -> list[list[Any]]:
        """[[epoch ms, equity], ...], downsampled to at most ``max_points`` keeping the first
        and last points and each bucket's min and max so drawdowns survive."""
        eq = self.equity.dropna()
        t = eq.index.as_unit("ms").asi8
        v = eq.to_numpy()
        if max_points is None or len(v) <= max_points:
            keep = np.arange(len(v))
        else:
            buckets = max(1, (max_points - 2) // 2)
            edges = np.linspace(0, len(v), buckets + 1).astype(int)
            idx = [0]
            for a, b in zip(edges[:-1], edges[1:], strict=True):
                if b > a:
                    seg = v[a:b]
                    idx.extend(sorted({a + int(np.argmin(seg)), a + int(np.argmax(seg))}))
            idx.append(len(v) - 1)
            keep = np.unique(np.asarray(idx))
        return [[int(t[i]), _safe(float(v[i]))] for i in keep]

    def equity_with_buy_and_hold(
        self, candles: pd.DataFrame, max_points: int | None = None
    ) -> list[list[Any]]:
        """[[epoch ms, equity, buy & hold equity], ...]: ``equity_points`` with, beside each,
        what the initial balance held in the asset from the first simulated bar would be
        worth (None where ``candles`` has no close at that time)."""
        points = self.equity_points(max_points)
        if not points:
            return []
        closes = candles["close"]
        base = float(closes.loc[self.equity.index[0]])
        initial = float(self.config["initial_balance"])
        times = pd.to_datetime([p[0] for p in points], unit="ms", utc=True)
        held = closes.reindex(times).to_numpy() / base * initial
        return [
            [p[0], p[1], None if not np.isfinite(h) else round(float(h), 4)]
            for p, h in zip(points, held, strict=True)
        ]

    def to_dict(self, equity_points: int | None = None) -> dict[str, Any]:
        return {
            "engine_version": self.engine_version,
            "strategy": self.strategy,
            "config": {k: _safe(v) for k, v in self.config.items()},
            "assumptions": self.assumptions,
            "metrics": {k: _safe(v) for k, v in self.metrics.items()},
            "trades": [t.to_dict() for t in self.trades],
            "equity": self.equity_points(equity_points),
        }
