"""The optimiser's pure parts: grids, paths, value checks, one combination, ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backtest import BacktestConfig, run_backtest
from engine.backtest.sweep import (
    combo_metrics,
    grid_combinations,
    grid_value_problems,
    path_exists,
    rank_rows,
    set_path,
)
from engine.marketdata import read_candles
from engine.strategy import parse_strategy
from engine.tests.test_strategy import SHAPE_A, SHAPE_B

BTC = Path(__file__).resolve().parents[2] / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"


def test_grid_combinations_vary_the_last_path_fastest():
    combos = grid_combinations({"a": [1, 2], "b": [10, 20, 30]})
    assert combos[:3] == [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 1, "b": 30}]
    assert len(combos) == 6 and combos[-1] == {"a": 2, "b": 30}


def test_paths_read_dotted_and_indexed_fields():
    doc = {"entry_conditions": [{"params": {"period": 14}}], "indicators": {"rsi": {"period": 7}}}
    assert path_exists(doc, "entry_conditions[0].params.period")
    assert path_exists(doc, "indicators.rsi.period")
    assert not path_exists(doc, "indicators.rsi.perod")
    assert not path_exists(doc, "entry_conditions[3].params.period")
    assert not path_exists(doc, "")
    set_path(doc, "entry_conditions[0].params.period", 21)
    assert doc["entry_conditions"][0]["params"]["period"] == 21
    with pytest.raises(KeyError):
        set_path(doc, "indicators.macd.fast", 3)


def test_grid_values_are_checked_against_the_language():
    assert grid_value_problems(SHAPE_A, "indicators.rsi.period", [7, 14, 21]) == []
    assert grid_value_problems(SHAPE_A, "indicators.rsi.perod", [7]) == [
        "no such field in the strategy"
    ]
    (problem,) = grid_value_problems(SHAPE_A, "indicators.rsi.period", [14, -5])
    assert problem.startswith("-5: ") and "period" in problem
    assert SHAPE_A["indicators"]["rsi"]["period"] == 14  # the document is never changed


def test_one_combination_is_the_backtest_of_that_strategy():
    candles = read_candles(BTC).frame
    config = BacktestConfig(fee_rate=0.001)
    metrics, error = combo_metrics(SHAPE_B, {}, candles, config, "1h")
    direct = run_backtest(candles, parse_strategy(SHAPE_B), config, interval="1h").metrics
    assert error == "" and metrics == direct
    metrics, error = combo_metrics(SHAPE_A, {"indicators.rsi.period": 0}, candles, config, "1h")
    assert metrics is None and "period" in error


def test_rows_rank_best_first_with_drawdown_lower_is_better():
    rows = [
        {"combo": 0, "metrics": {"sharpe": 0.5, "max_drawdown_pct": 30.0}},
        {"combo": 1, "metrics": None},
        {"combo": 2, "metrics": {"sharpe": 1.5, "max_drawdown_pct": 10.0}},
        {"combo": 3, "metrics": {"sharpe": -1.0, "max_drawdown_pct": 50.0}},
    ]
    assert [r["combo"] for r in rank_rows(rows, "sharpe")] == [2, 0, 3, 1]
    assert [r["combo"] for r in rank_rows(rows, "max_drawdown_pct")] == [2, 0, 3, 1]
