"""The optimiser's pure parts (SPEC §5): parameter grids over a strategy document.

A grid maps a strategy's named parameter (``slow``, declared in its ``params``) or a path
inside its JSON (``indicators.rsi.period``, ``entry_conditions[0].params.period``, also
spelled ``entry_conditions.0.params.period``) to the values to try. Here: what a strategy
offers to sweep and a default grid over it, expanding a grid into
combinations, reading and setting a path, checking a path's values against the strategy
language before anything runs, the metrics of one combination (and of a chunk of them,
each distinct indicator computed once), ranking the rows by a metric, the heatmap over
two paths, and walk-forward (the best in-sample combination run out of sample, window
after window). No Django: the backtests app loads candles, fans the
combinations out to workers and stores the rows; a refused grid or setting is a
ConfigError naming its field (``grid``, ``grid.<path>``, ``metric``, ...).
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import pandas as pd

from engine.bounds import Bound
from engine.strategy import StrategyError, parse_strategy
from engine.strategy import params as strategy_params
from engine.strategy.params import NAME_RE, number

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
DEFAULT_METRIC = "total_return_pct"
MAX_PATHS = 4
MAX_VALUES = 1000
# Walk-forward: 0 windows is a plain sweep; each window's first IN_SAMPLE_PCT % picks the
# parameters, the rest tests them.
WALK_FORWARD_WINDOWS = Bound(0, 20, text="between 0 and 20")
IN_SAMPLE_PCT = Bound(20, 90, text="between 20 and 90")
DEFAULT_IN_SAMPLE_PCT = 70.0
# Fewer bars than this per window leave too little to choose on and to test.
MIN_BARS_PER_WINDOW = 100
_TIME = "%Y-%m-%dT%H:%M:%SZ"

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# How far a default sweep range reaches around a parameter's value.
DEFAULT_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5)


def path_parts(path: str) -> list[str | int]:
    """``a.b[0].c`` and ``a.b.0.c`` -> ["a", "b", 0, "c"] (no strategy field is named by
    digits, so a dotted number is a list index)."""
    return [
        (int(m.group(1)) if m.group(1).isdigit() else m.group(1))
        if m.group(1) is not None
        else int(m.group(2))
        for m in _PATH_PART.finditer(path)
    ]


def canonical_path(path: str) -> str:
    """One spelling of a path: ``entry_conditions.0.params.period`` ->
    ``entry_conditions[0].params.period``."""
    out = ""
    for part in path_parts(path):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def is_param_key(key: str) -> bool:
    """A grid key naming a declared parameter (``slow``) rather than a path."""
    return bool(NAME_RE.match(key))


def declared_params(definition: dict) -> dict[str, Any]:
    """The strategy's ``params`` block as written (name -> default or spec)."""
    raw = definition.get("params") if isinstance(definition, dict) else None
    return raw if isinstance(raw, dict) else {}


def apply_combo(definition: dict, combo: dict[str, Any]) -> tuple[dict, dict[str, Any]]:
    """The document with the combination's paths set, and its named parameters' values
    (for ``parse_strategy(doc, params)``)."""
    doc = copy.deepcopy(definition)
    named = {}
    for key, value in combo.items():
        if is_param_key(key):
            named[key] = value
        else:
            set_path(doc, key, value)
    return doc, named


def with_params(definition: dict, combo: dict[str, Any]) -> dict:
    """The document as a user would write it with the combination's values: a named
    parameter's declared default replaced (its references kept, so a tie stays tied), a
    path's value set."""
    doc, named = apply_combo(definition, combo)
    if named:
        block = dict(declared_params(doc))
        for name, value in named.items():
            spec = block.get(name)
            block[name] = {**spec, "default": value} if isinstance(spec, dict) else value
        doc["params"] = block
    return doc


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


def _params_named(message: str, declared: Iterable[str]) -> set[str]:
    """The declared parameters whose value an error message names (``fast = 30``)."""
    return {n for n in declared if re.search(rf"\b{re.escape(n)} = ", message)}


def grid_value_problems(definition: dict, path: str, values: Iterable[Any]) -> list[str]:
    """Why the values at ``path`` cannot make a strategy the language accepts (empty: they
    can). One parameter at a time, the others as saved: a value refused here fails in every
    combination. Cross-parameter rules (fast < slow) are left to each combination: an error
    naming another parameter's value too is not charged to this one."""
    declared = declared_params(definition)
    if is_param_key(path):
        if path not in declared:
            have = f"it declares {', '.join(declared)}" if declared else "it declares no params"
            return [f"the strategy has no parameter {path!r}; {have}"]
    elif not path_exists(definition, path):
        return ["no such field in the strategy"]
    for value in dict.fromkeys(values):  # each distinct value once
        doc, named = apply_combo(definition, {path: value})
        try:
            parse_strategy(doc, named)
        except StrategyError as exc:
            if named:  # every error names the values of the parameters that caused it
                messages = [
                    e.message for e in exc.errors if _params_named(e.message, declared) == {path}
                ]
            else:
                messages = [e.message for e in exc.errors if _same_field(e.path, path)]
            if messages:
                return [f"{value!r}: {m}" for m in dict.fromkeys(messages)]
    return []


def grid_check(grid: Any, definition: dict, *, max_combinations: int) -> dict[str, list]:
    """The grid with each path in one spelling (``canonical_path``), or ConfigError naming
    ``grid`` or ``grid.<key>`` and why: its shape and size first, then each key's values
    against the strategy, before the sweep exists (a typo'd path or an out-of-range value
    otherwise gave a "succeeded" sweep whose every combination had failed)."""
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(
            "grid",
            'an object of parameter name or path -> list of values, e.g. {"slow": [20, 26, 30]}'
            ' or {"indicators.rsi.period": [7, 14, 21]}',
        )
    canonical = {k if is_param_key(k) else canonical_path(k): k for k in grid}
    if len(canonical) < len(grid):
        raise ConfigError("grid", "a path is given twice (in two spellings)")
    if len(grid) > MAX_PATHS:
        raise ConfigError("grid", f"at most {MAX_PATHS} parameters")
    total = 1
    for path, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"grid.{path}", "must be a non-empty list of values")
        if len(values) > MAX_VALUES:
            raise ConfigError(f"grid.{path}", f"at most {MAX_VALUES} values")
        if any(number(v) is None for v in values):
            raise ConfigError(f"grid.{path}", "values must be finite numbers")
        total *= len(values)
    if total > max_combinations:
        raise ConfigError("grid", f"{total} combinations; the limit is {max_combinations}")
    out = {key: grid[given] for key, given in canonical.items()}
    for key, values in out.items():
        if problems := grid_value_problems(definition, key, values):
            raise ConfigError(f"grid.{canonical[key]}", *problems)
    return out


def sweep_check(*, metric: str, windows: int, in_sample_pct: float) -> None:
    """The metric to rank by and the walk-forward settings (ConfigError naming the field)."""
    if metric not in SWEEP_METRICS:
        raise ConfigError("metric", f"one of {', '.join(SWEEP_METRICS)}")
    if not WALK_FORWARD_WINDOWS.contains(windows):
        raise ConfigError("walk_forward_windows", WALK_FORWARD_WINDOWS.message)
    if not IN_SAMPLE_PCT.contains(in_sample_pct):
        raise ConfigError("walk_forward_in_sample_pct", IN_SAMPLE_PCT.message)


class IndicatorCache(dict):
    """Indicator series by their parameters, shared by a sweep's combinations over one
    candle frame; the oldest entries go beyond ``size`` (a grid of a thousand periods over
    a million candles would otherwise hold gigabytes). Grids vary the last path fastest,
    so its few values stay while the first path's value changes block by block."""

    def __init__(self, size: int = 64):
        super().__init__()
        self.size = size
        self._lock = threading.Lock()  # chunks of one sweep may share it from threads

    def __setitem__(self, key, value) -> None:
        with self._lock:
            if key not in self and len(self) >= self.size:
                del self[next(iter(self))]
            super().__setitem__(key, value)


def combo_metrics(*args, **kwargs) -> tuple[dict | None, str]:
    """The metrics of one combination, or (None, why it could not run); the arguments
    are ``combo_result``'s."""
    result, error = combo_result(*args, **kwargs)
    return (result.metrics if result is not None else None), error


def combo_strategy(definition: dict, combo: dict[str, Any]):
    """The engine strategy of one combination (StrategyError if the language refuses it)."""
    doc, named = apply_combo(definition, combo)
    return parse_strategy(doc, named)


def combo_result(
    definition: dict,
    combo: dict[str, Any],
    candles: pd.DataFrame,
    config: BacktestConfig,
    interval: str,
    *,
    indicator_cache: dict | None = None,
):
    """The backtest result of one combination, or (None, why it could not run)."""
    try:
        strategy = combo_strategy(definition, combo)
    except StrategyError as exc:
        return None, str(exc)[:500]
    try:
        result = run_backtest(
            candles, strategy, config, interval=interval, indicator_cache=indicator_cache
        )
        return result, ""
    except (ConfigError, ValueError) as exc:
        return None, str(exc)[:500]


def sweep_metrics(
    definition: dict,
    combos: list[dict[str, Any]],
    candles: pd.DataFrame,
    config: BacktestConfig,
    interval: str,
    *,
    stop: Callable[[int], bool] | None = None,
    indicator_cache: IndicatorCache | None = None,
) -> list[tuple[dict | None, str]] | None:
    """``combo_metrics`` of each combination, each distinct indicator computed once over
    the candles (``indicator_cache``: one kept by the caller for more chunks over the same
    candles); None when ``stop(done)`` (``done``: combinations finished so far) answers true
    before a combination (cancelled)."""
    cache = IndicatorCache() if indicator_cache is None else indicator_cache
    out = []
    for combo in combos:
        if stop is not None and stop(len(out)):
            return None
        out.append(
            combo_metrics(definition, combo, candles, config, interval, indicator_cache=cache)
        )
    return out


def rank_rows(rows: list[dict], metric: str) -> list[dict]:
    """Rows (each with ``metrics``) best first by ``metric``; rows without it last."""

    def key(row: dict):
        v = (row.get("metrics") or {}).get(metric)
        if v is None:
            return (True, 0)
        return (False, v if metric in LOWER_IS_BETTER else -v)

    return sorted(rows, key=key)


def chunk_ranges(total: int, size: int, done: Iterable[int] = ()) -> list[tuple[int, int]]:
    """[start, stop) ranges of ``size`` combinations, leaving out those already all done
    (a redelivered sweep fans out only what is missing)."""
    finished = set(done)
    ranges = [(a, min(a + size, total)) for a in range(0, total, size)]
    return [(a, b) for a, b in ranges if not all(i in finished for i in range(a, b))]


def heatmap(grid: dict[str, list], rows: list[dict], metric: str) -> dict | None:
    """The metric over the grid's first two keys (x across, y down), and beside each cell
    the combination it shows (``combos``, its index in the grid, to open its full result);
    None with fewer keys or no rows. With more keys a cell shows the best row (``rows``
    ranked best first) over the others. A cell is None where no row has the metric (a
    failed combination)."""
    keys = list(grid)
    if len(keys) < 2 or not rows:
        return None
    x, y = keys[0], keys[1]
    cells: dict[tuple, tuple[Any, Any]] = {}
    for r in rows:
        value = (r["metrics"] or {}).get(metric)
        at = (r["params"][x], r["params"][y])
        if at not in cells or cells[at][0] is None and value is not None:
            cells[at] = (value, r.get("combo"))
    empty = (None, None)
    return {
        "x": x,
        "y": y,
        "xs": grid[x],
        "rows": [
            {
                "y": v,
                "cells": [cells.get((u, v), empty)[0] for u in grid[x]],
                "combos": [cells.get((u, v), empty)[1] for u in grid[x]],
            }
            for v in grid[y]
        ],
    }


def _leaves(node: Any, path: str = ""):
    """(path, number) of every numeric value in a strategy document, in document order."""
    if isinstance(node, dict):
        for k, v in node.items():
            if path == "" and k == "params":
                continue
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{path}[{i}]")
    elif number(node) is not None:
        yield path, node


def _around(value: float, low: float | None, high: float | None) -> list:
    """Values around ``value`` (half to one and a half times it), integers for an integer,
    inside the bounds when there are any."""
    if value == 0:
        return [value]
    out = []
    for step in DEFAULT_STEPS:
        v = value * step
        v = int(round(v)) if isinstance(value, int) else float(f"{v:.4g}")
        if (low is None or v >= low) and (high is None or v <= high):
            out.append(v)
    if low is not None and high is not None and len(set(out)) < 3 and high > low:
        span = [low + (high - low) * k / 4 for k in range(5)]
        out += [int(round(v)) if isinstance(value, int) else float(f"{v:.4g}") for v in span]
    return sorted(set(out))


MAX_OFFERED = 12


def sweepable(definition: dict) -> list[dict[str, Any]]:
    """What a strategy offers to sweep, with a default range each: its named parameters
    (``key`` the name) first; without any, the numeric values found in its JSON (``key``
    the path), at most ``MAX_OFFERED``. Values the language refuses for that field (a period of 1, an RSI level
    past 100) are left out of the range, so a default grid always runs."""
    out = []
    if declared_params(definition):
        out = [
            {"key": p.name, "value": p.value, "min": p.min, "max": p.max}
            for p in strategy_params.declared(definition)
        ]
    else:
        for path, value in _leaves(definition):
            if path.startswith("risk.position_size_pct"):
                continue  # sizing scales the result, it is no strategy parameter to tune
            out.append({"key": path, "value": value, "min": None, "max": None})
    del out[MAX_OFFERED:]
    for item in out:
        candidates = _around(number(item["value"]), item["min"], item["max"])
        bad = set()
        for v in candidates:
            if grid_value_problems(definition, item["key"], [v]):
                bad.add(v)
        item["values"] = [v for v in candidates if v not in bad] or [item["value"]]
    return out


def default_grid(definition: dict, keys: int = 2) -> dict[str, list]:
    """The first ``keys`` sweepable parameters (named ones first) with their default
    ranges: a grid the strategy accepts (a heatmap when there are two)."""
    offer = [p for p in sweepable(definition) if len(p["values"]) > 1]
    return {p["key"]: p["values"] for p in offer[:keys]}


def walk_forward(
    definition: dict,
    combos: list[dict[str, Any]],
    candles: pd.DataFrame,
    config: BacktestConfig,
    *,
    metric: str,
    windows: int,
    in_sample_pct: float,
    interval: str,
    on_progress: Callable[[float], None] | None = None,
    equity_points: int = 2000,
) -> dict[str, Any]:
    """Split the bars from ``config.start`` into ``windows`` windows; in each, pick the
    combination best by ``metric`` on the first ``in_sample_pct`` % and run it on the rest,
    starting from the balance the previous window ended with. The per-window report, the
    stitched out-of-sample result and its equity curve (``equity``: [[epoch ms, equity],
    ...], about ``equity_points`` in all)."""
    idx = candles.index
    lo = int(idx.searchsorted(pd.Timestamp(config.start))) if config.start else 0
    step = (len(idx) - lo) // windows
    share = in_sample_pct / 100.0
    start_balance = float(config.initial_balance)
    balance = start_balance
    segments, report = [], []
    equity: list[list[Any]] = []
    total = windows * (len(combos) + 1)
    done = 0
    cache = IndicatorCache()  # indicators run over all the candles: windows share them
    for w in range(windows):
        a, b = lo + w * step, lo + (w + 1) * step if w < windows - 1 else len(idx)
        split = a + int((b - a) * share)
        in_sample = replace(config, start=idx[a], end=idx[split - 1])
        rows = []
        for combo in combos:
            metrics, _ = combo_metrics(
                definition, combo, candles, in_sample, interval, indicator_cache=cache
            )
            rows.append({"params": combo, "metrics": metrics})
            done += 1
            if on_progress is not None:
                on_progress(done / total)
        top = rank_rows(rows, metric)[0] if rows else None
        best_value = (top["metrics"] or {}).get(metric) if top else None
        best = top["params"] if best_value is not None else None
        if best is None:
            report.append(
                {"window": w + 1, "error": "no combination produced the metric in-sample"}
            )
            continue
        out_of_sample = replace(config, initial_balance=balance, start=idx[split], end=idx[b - 1])
        result, error = combo_result(
            definition, best, candles, out_of_sample, interval, indicator_cache=cache
        )
        done += 1
        if result is None:
            report.append({"window": w + 1, "params": best, "error": error})
            continue
        metrics = result.metrics
        balance = metrics["final_balance"]
        # Each window starts from the balance the last one ended with: chained, the
        # windows' curves are one out-of-sample equity curve.
        equity += result.equity_points(max(2, equity_points // windows))
        report.append(
            {
                "window": w + 1,
                "in_sample_window": [idx[a].strftime(_TIME), idx[split - 1].strftime(_TIME)],
                "out_of_sample_window": [idx[split].strftime(_TIME), idx[b - 1].strftime(_TIME)],
                "params": best,
                "in_sample_metric": best_value,
                "out_of_sample": metrics,
            }
        )
        segments.append(metrics)
    stitched = {
        "initial_balance": start_balance,
        "final_balance": round(balance, 2),
        "total_return_pct": round((balance / start_balance - 1) * 100, 4),
        "trades": sum(s["num_trades"] for s in segments),
        "worst_window_drawdown_pct": max((s["max_drawdown_pct"] for s in segments), default=None),
    }
    return {"windows_report": report, "stitched": stitched, "equity": equity}
