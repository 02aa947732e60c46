"""What a stored desk backtest shows beside ``run_desk_backtest``'s result: the audit rows
a filter selects and a sweep's grid of desk parameters (the points a page draws and the
random band at them come from the core: ``curve_indices``, ``band_points``). Pure."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from .backtest import DeskConfigError, DeskParams, DeskResult, curve_indices
from .rules import TAKEN

# The desk parameters a sweep may vary; beta follows alpha (beta = 1 - alpha).
SWEEP_PARAMS = ("alpha", "top_n", "min_score", "prior_trades", "buy_fraction")
SWEEP_MAX_VALUES = 20


def audit_select(
    audit: dict[str, np.ndarray],
    *,
    taken: bool = False,
    agent: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> np.ndarray:
    """Row indices of the audit (in its order: time, then agent) that pass the filters:
    only taken actions, one agent (its index among the run's agents), a time range on
    the decision time (inclusive, epoch ms)."""
    keep = np.ones(len(audit["time_ms"]), bool)
    if taken:
        keep &= audit["status"] == TAKEN
    if agent is not None:
        keep &= audit["agent"] == agent
    if start_ms is not None:
        keep &= audit["time_ms"] >= start_ms
    if end_ms is not None:
        keep &= audit["time_ms"] <= end_ms
    return np.flatnonzero(keep)


def sweep_params(base: DeskParams, grid: dict[str, list]) -> list[DeskParams]:
    """Every combination of the grid over ``base`` (the first path varying slowest), each
    validated; a bad grid raises DeskConfigError("grid", why)."""
    if not isinstance(grid, dict) or not grid:
        raise DeskConfigError("grid", "give at least one parameter with its values")
    for name, values in grid.items():
        if name not in SWEEP_PARAMS:
            raise DeskConfigError(
                "grid", f"{name!r} cannot be swept; use {', '.join(SWEEP_PARAMS)}"
            )
        if not isinstance(values, list) or not values:
            raise DeskConfigError("grid", f"{name}: give a list of values")
        if len(values) > SWEEP_MAX_VALUES:
            raise DeskConfigError("grid", f"{name}: at most {SWEEP_MAX_VALUES} values")
    keys = list(grid)
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        combo: dict[str, Any] = dict(zip(keys, values, strict=True))
        if "alpha" in combo and isinstance(combo["alpha"], int | float):
            combo["beta"] = round(1.0 - float(combo["alpha"]), 12)
        for whole in ("top_n", "prior_trades"):
            v = combo.get(whole)
            if isinstance(v, float) and v.is_integer():
                combo[whole] = int(v)
        params = dataclasses.replace(base, **combo)
        try:
            params.validate()
        except DeskConfigError as exc:
            value = combo.get(exc.field, getattr(params, exc.field, None))
            raise DeskConfigError("grid", f"{exc.field} {value!r}: {exc.message}") from None
        out.append(params)
    return out


def sweep_row(params: DeskParams, result: DeskResult) -> dict[str, Any]:
    """One combination's line: the swept values and the desk against its random band."""
    desk = result.metrics["desk"]
    rnd = result.metrics["random"] or {}
    return {
        "params": {k: getattr(params, k) for k in (*SWEEP_PARAMS, "beta")},
        "final_equity": desk["final_equity"],
        "return_pct": desk["return_pct"],
        "max_drawdown_pct": desk["max_drawdown_pct"],
        "closed_trades": desk["closed_trades"],
        "decisions_taken": desk["decisions_taken"],
        "random_percentile": rnd.get("desk_percentile"),
        "verdict": rnd.get("verdict"),
    }


__all__ = [
    "SWEEP_MAX_VALUES",
    "SWEEP_PARAMS",
    "audit_select",
    "curve_indices",
    "sweep_params",
    "sweep_row",
]
