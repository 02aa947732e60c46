"""Named strategy parameters: resolution, the errors that name path and parameter, one
value driving several places, and sweeps by name, by path in both spellings, the default
grid a strategy offers, and the stitched walk-forward equity."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backtest import BacktestConfig, ConfigError, run_backtest
from engine.backtest.sweep import (
    canonical_path,
    combo_metrics,
    default_grid,
    grid_check,
    grid_combinations,
    sweep_metrics,
    sweepable,
    walk_forward,
    with_params,
)
from engine.marketdata import read_candles
from engine.strategy import StrategyError, parse_strategy
from engine.tests.test_desk import EMA_CROSS
from engine.tests.test_strategy import SHAPE_A, SHAPE_B

BTC = Path(__file__).resolve().parents[2] / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"

TIED = {
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "params": {"fast": 12, "slow": {"default": 26, "min": 10, "max": 60}},
    "entry_conditions": [
        {
            "indicator": "ema",
            "params": {"period": "${fast}"},
            "condition": "crosses_above ema(${slow})",
        }
    ],
    "exit_conditions": [
        {
            "indicator": "ema",
            "params": {"period": "${fast}"},
            "condition": "crosses_below ema(${slow})",
        }
    ],
}
# The same strategy written out with numbers: what TIED must resolve to.
LITERAL = {**EMA_CROSS, "symbol": "BTCUSDT"}


def _errors(doc, params=None) -> dict[str, str]:
    with pytest.raises(StrategyError) as exc:
        parse_strategy(doc, params)
    return {e.path: e.message for e in exc.value.errors}


def test_references_resolve_to_the_declared_values_everywhere_a_number_goes():
    s = parse_strategy(TIED)
    assert s.conditions == parse_strategy(LITERAL).conditions
    assert s.param_values == {"fast": 12, "slow": 26}
    # The normalised form is resolved, keeps the declarations, and parses back to itself.
    d = s.to_dict()
    assert d["entry_conditions"][0]["condition"] == "crosses_above ema(26)"
    assert d["params"] == {"fast": 12, "slow": {"default": 26, "min": 10, "max": 60}}
    assert parse_strategy(d) == s
    # Shape A and the risk block take references too.
    shape_a = {
        "symbol": "BTCUSDT",
        "params": {"p": 9, "sl": 2.5},
        "indicators": {"rsi": {"period": "${p}", "buy_below": 30, "sell_above": 70}},
        "risk": {"stop_loss_pct": "${sl}"},
    }
    s = parse_strategy(shape_a)
    assert s.entry[0].left.params == (9,) and s.risk.stop_loss_pct == 2.5


def test_one_value_drives_every_place_that_refers_to_it():
    s = parse_strategy(TIED, {"slow": 40, "fast": 5})
    for cond in s.conditions:
        assert cond.left.params == (5,) and cond.right.params == (40,)
    assert s.to_dict()["params"]["slow"]["default"] == 40  # what ran is what is recorded


def test_errors_name_the_path_and_the_parameter():
    doc = {**TIED, "entry_conditions": [{"indicator": "close", "condition": "> ema(${slw})"}]}
    assert _errors(doc) == {
        "entry_conditions[0].condition": "unknown parameter ${slw}; declared: fast, slow"
    }
    assert _errors(
        {**LITERAL, "exit_conditions": [{"indicator": "rsi", "condition": "< ${x}"}]}
    ) == {"exit_conditions[0].condition": "unknown parameter ${x}; the strategy declares no params"}
    assert _errors({**TIED, "params": {"fast": "12", "slow": 26}}) == {
        "params.fast": 'must be a number or {"default": n, "min": a, "max": b}'
    }
    assert _errors({**TIED, "params": {"fast": 12, "slow": {"default": 80, "max": 60}}}) == {
        "params.slow": "slow = 80 is above its max 60"
    }
    assert _errors(TIED, {"slow": 5}) == {"params.slow": "slow = 5 is below its min 10"}
    assert _errors(TIED, {"fast": True}) == {"params.fast": "fast: must be a number, got True"}
    assert _errors(TIED, {"medium": 3}) == {
        "params.medium": "unknown parameter 'medium'; declared: fast, slow"
    }
    # A value the indicator refuses is reported where it is used, with the parameter.
    errors = _errors(TIED, {"fast": 1})
    assert set(errors) == {"entry_conditions[0].params", "exit_conditions[0].params"}
    assert all(m.endswith("(fast = 1)") and "period" in m for m in errors.values())
    assert _errors({**LITERAL, "params": {"1x": 3}}) == {
        "params.1x": "a parameter name is a letter or _ then letters, digits or _"
    }
    bad_ref = {**LITERAL, "params": {"a": 3}}
    bad_ref["exit_conditions"] = [{"indicator": "rsi", "condition": "> ${a"}]
    assert "written ${name}" in _errors(bad_ref)["exit_conditions[0].condition"]
    # Free text is never resolved: a "${" in the notes stays as written.
    assert parse_strategy({**LITERAL, "notes": "costs ${x} and ${"}).notes == "costs ${x} and ${"


def test_both_path_spellings_are_one_path():
    assert canonical_path("entry_conditions.0.params.period") == "entry_conditions[0].params.period"
    assert (
        canonical_path("entry_conditions[0].params.period") == "entry_conditions[0].params.period"
    )
    dotted = grid_check({"entry_conditions.0.params.period": [7, 14]}, SHAPE_B, max_combinations=9)
    assert dotted == {"entry_conditions[0].params.period": [7, 14]}
    with pytest.raises(ConfigError) as exc:
        grid_check(
            {"entry_conditions.0.params.period": [7], "entry_conditions[0].params.period": [9]},
            SHAPE_B,
            max_combinations=9,
        )
    assert exc.value.field == "grid" and "twice" in exc.value.messages[0]


def test_grids_by_name_are_checked_against_the_declaration():
    assert grid_check({"slow": [20, 30]}, TIED, max_combinations=9) == {"slow": [20, 30]}
    for grid, field, says in [
        ({"slw": [20]}, "grid.slw", "no parameter 'slw'; it declares fast, slow"),
        ({"slow": [20, 90]}, "grid.slow", "90: slow = 90 is above its max 60"),
        ({"fast": [1]}, "grid.fast", "1: ema period"),
        ({"period": [3]}, "grid.period", "it declares no params"),
    ]:
        with pytest.raises(ConfigError) as exc:
            grid_check(grid, TIED if field != "grid.period" else SHAPE_B, max_combinations=9)
        assert exc.value.field == field and says in exc.value.messages[0], exc.value.messages


def test_a_sweep_by_name_equals_the_sweep_of_both_paths_together():
    candles = read_candles(BTC).frame.iloc[:3000]
    config = BacktestConfig()
    by_name = sweep_metrics(TIED, grid_combinations({"fast": [5, 9, 12]}), candles, config, "1h")
    by_paths = sweep_metrics(
        TIED,
        [
            {"entry_conditions.0.params.period": v, "exit_conditions[0].params.period": v}
            for v in (5, 9, 12)
        ],
        candles,
        config,
        "1h",
    )
    assert [m for m, _ in by_name] == [m for m, _ in by_paths]
    assert all(m is not None for m, _ in by_name)
    # Different values give different results: the parameter really drives the run.
    assert len({m["total_return_pct"] for m, _ in by_name}) == 3
    # The slow EMA inside the condition strings is swept by its name.
    ((m, error),) = sweep_metrics(TIED, [{"slow": 40}], candles, config, "1h")
    literal = {**LITERAL}
    literal["entry_conditions"] = [
        {**LITERAL["entry_conditions"][0], "condition": "crosses_above ema(40)"}
    ]
    literal["exit_conditions"] = [
        {**LITERAL["exit_conditions"][0], "condition": "crosses_below ema(40)"}
    ]
    assert (
        error == ""
        and m == run_backtest(candles, parse_strategy(literal), config, interval="1h").metrics
    )
    assert combo_metrics(TIED, {"slow": 40}, candles, config, "1h")[0] == m


def test_a_row_saved_as_a_definition_keeps_its_references():
    doc = with_params(TIED, {"slow": 30, "entry_conditions.0.params.period": 8})
    assert doc["params"]["slow"] == {"default": 30, "min": 10, "max": 60}
    assert doc["entry_conditions"][0]["condition"] == "crosses_above ema(${slow})"
    assert doc["entry_conditions"][0]["params"]["period"] == 8
    assert TIED["params"]["slow"]["default"] == 26  # the original is never changed
    s = parse_strategy(doc)
    assert s.entry[0].right.params == (30,) and s.exit[0].right.params == (30,)


@pytest.mark.parametrize("doc", [TIED, SHAPE_A, SHAPE_B], ids=["named", "shape-a", "shape-b"])
def test_the_default_grid_is_one_the_strategy_runs(doc):
    offer = sweepable(doc)
    grid = default_grid(doc)
    assert len(grid) == 2 and all(len(v) >= 3 for v in grid.values())
    if doc is TIED:  # named parameters first, inside their bounds
        assert [p["key"] for p in offer] == ["fast", "slow"]
        assert all(10 <= v <= 60 for v in grid["slow"])
    else:
        assert all(not k.startswith("params") for k in grid)
    checked = grid_check(grid, doc, max_combinations=100)
    candles = read_candles(BTC).frame.iloc[:1500]
    outcomes = sweep_metrics(doc, grid_combinations(checked), candles, BacktestConfig(), "1h")
    assert all(m is not None for m, _ in outcomes), [e for _, e in outcomes if e]


def test_walk_forward_stitches_the_out_of_sample_equity():
    candles = read_candles(BTC).frame.iloc[:2400]
    config = BacktestConfig()
    out = walk_forward(
        TIED,
        grid_combinations({"slow": [20, 30]}),
        candles,
        config,
        metric="total_return_pct",
        windows=3,
        in_sample_pct=70,
        interval="1h",
    )
    equity = out["equity"]
    times = [t for t, _ in equity]
    assert times == sorted(times) and len(set(times)) == len(times)
    # It starts at the initial balance and ends at the stitched final balance.
    assert equity[0][1] == pytest.approx(config.initial_balance)
    assert equity[-1][1] == pytest.approx(out["stitched"]["final_balance"], abs=0.01)
    # Each window's curve begins where the previous one ended (chained, not restarted).
    starts = [w["out_of_sample_window"][0] for w in out["windows_report"][1:]]
    for start, prev in zip(starts, out["windows_report"], strict=False):
        first = next(v for t, v in equity if t >= _ms(start))
        assert first == pytest.approx(prev["out_of_sample"]["final_balance"], rel=0.02)


def _ms(iso: str) -> int:
    import pandas as pd

    return int(pd.Timestamp(iso).timestamp() * 1000)
