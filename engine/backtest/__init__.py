"""The backtest simulator (SPEC §5): honest fills, fees, slippage, stops; metrics; results;
the optimiser over a grid of strategy parameters (``engine.backtest.sweep``)."""

from .config import (
    BOUNDS,
    DEFAULTS,
    FILLS,
    PARAMS,
    RISK_OVERRIDES,
    BacktestConfig,
    ConfigError,
    config_from_params,
)
from .metrics import compute_metrics, drawdown_pct
from .result import BacktestResult, Trade, TradeColumns
from .run import run_backtest, simulate
from .simulate import EXIT_REASONS

__all__ = [
    "BOUNDS",
    "DEFAULTS",
    "EXIT_REASONS",
    "FILLS",
    "PARAMS",
    "RISK_OVERRIDES",
    "BacktestConfig",
    "BacktestResult",
    "ConfigError",
    "Trade",
    "TradeColumns",
    "compute_metrics",
    "config_from_params",
    "drawdown_pct",
    "run_backtest",
    "simulate",
]
