"""The optimiser's pure parts: grids, paths, value checks, one combination, ranking,
chunks, the heatmap and walk-forward."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.backtest import BacktestConfig, ConfigError, run_backtest
from engine.backtest.sweep import (
    chunk_ranges,
    combo_metrics,
    grid_check,
    grid_combinations,
    grid_value_problems,
    heatmap,
    path_exists,
    rank_rows,
    set_path,
    sweep_check,
    walk_forward,
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


MACD_NAMED = {
    "symbol": "BTCUSDT",
    "params": {"fast": 12, "slow": {"default": 26, "min": 5, "max": 60}},
    "indicators": {"macd": {"fast": "${fast}", "slow": "${slow}", "signal": 9}},
}


def test_a_named_value_is_refused_only_for_its_own_errors():
    # fast = 30 is refused with the saved slow (26) but fine with the swept slow values:
    # a cross-parameter error is left to each combination, as it is when swept by path.
    grid = {"fast": [10, 30], "slow": [40, 50]}
    assert grid_check(grid, MACD_NAMED, max_combinations=100) == grid
    by_path = {"indicators.macd.fast": [10, 30], "indicators.macd.slow": [40, 50]}
    unnamed = {"symbol": "BTCUSDT", "indicators": {"macd": {"fast": 12, "slow": 26, "signal": 9}}}
    assert grid_check(by_path, unnamed, max_combinations=100) == by_path
    # an error of the value alone (its bound) is still charged to the key
    (problem,) = grid_value_problems(MACD_NAMED, "slow", [40, 70])
    assert problem.startswith("70: ") and "above its max 60" in problem
    with pytest.raises(ConfigError) as exc:
        grid_check({"slow": [70]}, MACD_NAMED, max_combinations=100)
    assert exc.value.field == "grid.slow"


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


@pytest.mark.parametrize(
    "grid, field, says",
    [
        ([7, 14], "grid", "an object"),
        ({}, "grid", "an object"),
        ({f"p{i}": [1] for i in range(5)}, "grid", "at most 4"),
        ({"indicators.rsi.period": []}, "grid.indicators.rsi.period", "non-empty"),
        ({"indicators.rsi.period": [True]}, "grid.indicators.rsi.period", "finite"),
        ({"indicators.rsi.period": [float("nan")]}, "grid.indicators.rsi.period", "finite"),
        ({"indicators.rsi.period": list(range(1001))}, "grid.indicators.rsi.period", "1000"),
        ({"indicators.rsi.period": [7, 14], "indicators.rsi.buy_below": [1, 2]}, "grid", "4 comb"),
        ({"indicators.rsi.perod": [7]}, "grid.indicators.rsi.perod", "no such field"),
        ({"indicators.rsi.period": [14, -5]}, "grid.indicators.rsi.period", "-5: "),
    ],
)
def test_a_grid_is_refused_naming_the_field(grid, field, says):
    with pytest.raises(ConfigError) as exc:
        grid_check(grid, SHAPE_A, max_combinations=3)
    assert exc.value.field == field and says in exc.value.messages[0]


def test_a_good_grid_passes_as_given():
    grid = {"indicators.rsi.period": [7, 14], "indicators.rsi.buy_below": [20, 30]}
    assert grid_check(grid, SHAPE_A, max_combinations=4) == grid


def test_sweep_settings_name_the_field_they_refuse():
    sweep_check(metric="sharpe", windows=20, in_sample_pct=90)
    for kwargs, field in [
        (dict(metric="luck", windows=0, in_sample_pct=70), "metric"),
        (dict(metric="sharpe", windows=21, in_sample_pct=70), "walk_forward_windows"),
        (dict(metric="sharpe", windows=3, in_sample_pct=19.9), "walk_forward_in_sample_pct"),
    ]:
        with pytest.raises(ConfigError) as exc:
            sweep_check(**kwargs)
        assert exc.value.field == field


def test_chunks_cover_every_combination_once_and_skip_finished_ones():
    assert chunk_ranges(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert chunk_ranges(7, 3, done=[0, 1, 2, 3]) == [(3, 6), (6, 7)]
    assert chunk_ranges(0, 3) == []


def test_the_heatmap_puts_each_metric_at_its_two_values():
    grid = {"a": [1, 2], "b": [10, 20], "c": [0]}
    rows = [
        {"combo": 0, "params": {"a": 1, "b": 10, "c": 0}, "metrics": {"sharpe": 0.1}},
        {"combo": 2, "params": {"a": 2, "b": 10, "c": 0}, "metrics": {"sharpe": 0.2}},
        {"combo": 1, "params": {"a": 1, "b": 20, "c": 0}, "metrics": None},
    ]
    assert heatmap(grid, rows, "sharpe") == {
        "x": "a",
        "y": "b",
        "xs": [1, 2],
        "rows": [
            {"y": 10, "cells": [0.1, 0.2], "combos": [0, 2]},
            {"y": 20, "cells": [None, None], "combos": [1, None]},
        ],
    }
    assert heatmap({"a": [1]}, rows, "sharpe") is None and heatmap(grid, [], "sharpe") is None


def test_walk_forward_picks_the_in_sample_best_and_carries_the_balance():
    candles = read_candles(BTC).frame.iloc[:3000]
    combos = grid_combinations({"indicators.rsi.period": [7, 14, 21]})
    config = BacktestConfig(fee_rate=0.001)
    seen = []
    out = walk_forward(
        SHAPE_A,
        combos,
        candles,
        config,
        metric="total_return_pct",
        windows=2,
        in_sample_pct=70,
        interval="1h",
        on_progress=seen.append,
    )
    windows = out["windows_report"]
    assert [w["window"] for w in windows] == [1, 2]
    assert seen == sorted(seen) and len(seen) == 2 * len(combos) and seen[-1] < 1
    balance = config.initial_balance
    for w in windows:
        a, b = (pd.Timestamp(t) for t in w["in_sample_window"])
        in_sample = {
            c["indicators.rsi.period"]: combo_metrics(
                SHAPE_A, c, candles, BacktestConfig(fee_rate=0.001, start=a, end=b), "1h"
            )[0]["total_return_pct"]
            for c in combos
        }
        assert w["in_sample_metric"] == max(in_sample.values())
        assert in_sample[w["params"]["indicators.rsi.period"]] == w["in_sample_metric"]
        assert w["out_of_sample_window"][0] > w["in_sample_window"][1]
        c, d = (pd.Timestamp(t) for t in w["out_of_sample_window"])
        oos = BacktestConfig(fee_rate=0.001, initial_balance=balance, start=c, end=d)
        assert combo_metrics(SHAPE_A, w["params"], candles, oos, "1h")[0] == w["out_of_sample"]
        balance = w["out_of_sample"]["final_balance"]
    stitched = out["stitched"]
    assert stitched["final_balance"] == round(balance, 2)
    assert stitched["trades"] == sum(w["out_of_sample"]["num_trades"] for w in windows)
