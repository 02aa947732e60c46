"""The optimiser's pure parts (SPEC §5): parameter grids over a strategy document.

A grid maps a path inside a strategy's JSON (``indicators.rsi.period``,
``entry_conditions[0].params.period``) to the values to try. Here: expanding a grid into
combinations, reading and setting a path, checking a path's values against the strategy
language before anything runs, the metrics of one combination, and ranking the rows by a
metric. No Django: the backtests app loads candles, fans the combinations out to workers
and stores the rows.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from engine.strategy import StrategyError, parse_strategy

from .config import BacktestConfig, ConfigError
from .run import run_backtest

# The metrics a sweep may rank by; drawdown is better low, the others better high.
SWEEP_METRICS = (
    "total_return_pct",
    "sharpe",
    "sortino",
    "calmar",
    "profit_factor",
    "win_rate_pct",
    "max_drawdown_pct",
    "expectancy",
)
LOWER_IS_BETTER = frozenset({"max_drawdown_pct"})

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int]:
    """``a.b[0].c`` -> ["a", "b", 0, "c"]."""
    return [
        m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PATH_PART.finditer(path)
    ]


def set_path(doc: dict, path: str, value: Any) -> None:
    """Set ``value`` at a dotted/indexed path inside a strategy document (KeyError if absent)."""
    parts = path_parts(path)
    if not parts:
        raise KeyError(path)
    node: Any = doc
    for part in parts[:-1]:
        node = node[part]
    if not isinstance(node, list | dict):
        raise KeyError(path)
    node[parts[-1]] = value


def path_exists(doc: Any, path: str) -> bool:
    """Whether ``path`` names a value already in the document (setting a new key would add
    a field the strategy does not read)."""
    parts = path_parts(path)
    if not parts:
        return False
    node = doc
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True


def grid_combinations(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first path varying slowest."""
    keys = list(grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def _same_field(error_path: str, grid_path: str) -> bool:
    a, b = (p.replace("[", ".").replace("]", "") for p in (error_path, grid_path))
    return a == b or a.startswith(b + ".")


def grid_value_problems(definition: dict, path: str, values: Iterable[Any]) -> list[str]:
    """Why the values at ``path`` cannot make a strategy the language accepts (empty: they
    can). One parameter at a time, the others as saved: a value refused here fails in every
    combination. Cross-parameter rules (fast < slow) are left to each combination."""
    if not path_exists(definition, path):
        return ["no such field in the strategy"]
    for value in dict.fromkeys(values):  # each distinct value once
        trial = copy.deepcopy(definition)
        set_path(trial, path, value)
        try:
            parse_strategy(trial)
        except StrategyError as exc:
            messages = [e.message for e in exc.errors if _same_field(e.path, path)]
            if messages:
                return [f"{value!r}: {m}" for m in messages]
    return []


def combo_metrics(
    definition: dict,
    combo: dict[str, Any],
    candles: pd.DataFrame,
    config: BacktestConfig,
    interval: str,
) -> tuple[dict | None, str]:
    """The metrics of one combination, or (None, why it could not run)."""
    doc = copy.deepcopy(definition)
    for path, value in combo.items():
        set_path(doc, path, value)
    try:
        strategy = parse_strategy(doc)
    except StrategyError as exc:
        return None, str(exc)[:500]
    try:
        return run_backtest(candles, strategy, config, interval=interval).metrics, ""
    except (ConfigError, ValueError) as exc:
        return None, str(exc)[:500]


def rank_rows(rows: list[dict], metric: str) -> list[dict]:
    """Rows (each with ``metrics``) best first by ``metric``; rows without it last."""

    def key(row: dict):
        v = (row.get("metrics") or {}).get(metric)
        if v is None:
            return (True, 0)
        return (False, v if metric in LOWER_IS_BETTER else -v)

    return sorted(rows, key=key)
