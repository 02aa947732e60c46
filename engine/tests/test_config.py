"""Backtest parameters' one home: defaults, ranges (open ends offered closed to inputs),
and a config built from submitted parameters."""

import pytest

from engine.backtest import (
    BOUNDS,
    DEFAULTS,
    PARAMS,
    BacktestConfig,
    ConfigError,
    config_from_params,
)
from engine.bounds import Bound, window_problem
from engine.strategy import StrategyError, parse_strategy
from engine.tests.test_strategy import SHAPE_A


def test_a_bound_checks_open_and_closed_ends_and_offers_inputs_a_closed_range():
    fee = Bound(0.0, 0.1, high_open=True, step=0.0001)
    assert fee.contains(0.0) and fee.contains(0.0999) and not fee.contains(0.1)
    assert (fee.input_min, fee.input_max) == (0.0, 0.0999)
    pct = Bound(0, 100, low_open=True, high_open=True, step=0.0001)
    assert not pct.contains(0) and not pct.contains(100) and not pct.contains(float("nan"))
    assert (pct.input_min, pct.input_max) == (0.0001, 99.9999)
    assert pct.message == "must be greater than 0 and below 100"
    assert Bound(0, 20, text="between 0 and 20").message == "between 0 and 20"


def test_defaults_are_the_dataclass_defaults_and_every_number_has_a_range():
    assert DEFAULTS == {name: getattr(BacktestConfig(), name) for name in PARAMS}
    assert set(BOUNDS) == set(PARAMS) - {"fill", "allow_short"}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_the_input_range_is_inside_what_the_engine_accepts(name):
    bound = BOUNDS[name]
    for value in (bound.input_min, bound.input_max):
        BacktestConfig(**{name: value}).validate()
    for value in (bound.low if bound.low_open else None, bound.high if bound.high_open else None):
        if value is not None:
            with pytest.raises(ConfigError) as exc:
                BacktestConfig(**{name: value}).validate()
            assert exc.value.field == name and exc.value.messages == [bound.message]


def test_the_strategy_risk_block_and_the_config_refuse_the_same_values():
    for name in ("stop_loss_pct", "take_profit_pct", "position_size_pct"):
        bad = BOUNDS[name].high + 1
        with pytest.raises(StrategyError) as exc:
            parse_strategy({**SHAPE_A, "risk": {name: bad}})
        with pytest.raises(ConfigError) as cfg:
            BacktestConfig(**{name: bad}).validate()
        assert exc.value.errors[0].message == cfg.value.message


def test_config_from_params_takes_defaults_for_empty_values_but_keeps_empty_risk():
    c = config_from_params(
        {"fee_rate": None, "slippage_bps": 2.0, "stop_loss_pct": None, "symbol": "x"},
        start=None,
    )
    assert c == BacktestConfig(slippage_bps=2.0)
    assert config_from_params({"position_size_pct": 50}).position_size_pct == 50


@pytest.mark.parametrize(
    ("start", "end", "empty_ok", "problem"),
    [
        ("2021-01-02", "2021-01-01", True, "end is before start"),
        ("2021-01-02", "2021-01-01", False, "end is before start"),
        ("2021-01-01", "2021-01-01", True, None),
        ("2021-01-01", "2021-01-01", False, "end is at start: the window is empty"),
        ("2021-01-01", "2021-01-02", False, None),
        (None, "2021-01-01", False, None),
        ("2021-01-01", None, False, None),
    ],
)
def test_one_window_rule_for_every_caller(start, end, empty_ok, problem):
    assert window_problem(start, end, empty_ok=empty_ok) == problem
    if empty_ok:
        config = BacktestConfig(start=start, end=end)
        if problem is None:
            config.validate()
        else:
            with pytest.raises(ConfigError, match=problem):
                config.validate()
