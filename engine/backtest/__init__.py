"""The backtest simulator (SPEC §5): honest fills, fees, slippage, stops; metrics; results."""

from .config import FILLS, BacktestConfig, ConfigError
from .metrics import compute_metrics
from .result import BacktestResult, Trade, TradeColumns
from .run import run_backtest, simulate
from .simulate import EXIT_REASONS

__all__ = [
    "EXIT_REASONS",
    "FILLS",
    "BacktestConfig",
    "BacktestResult",
    "ConfigError",
    "Trade",
    "TradeColumns",
    "compute_metrics",
    "run_backtest",
    "simulate",
]
