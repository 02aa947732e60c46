"""Backtest runs and sweeps as ``backtest_create``/``sweep_create`` store them (queued, with
the strategy's current version), without candles or a worker: for job, list and report
tests that need the row, not the engine."""

from __future__ import annotations

import factory

from apps.accounts.tests.factories import UserFactory
from apps.backtests.models import BacktestRun, Sweep
from apps.strategies.tests.factories import StrategyFactory


class _StrategyJobFactory(factory.django.DjangoModelFactory):
    owner = factory.SubFactory(UserFactory)
    strategy = factory.SubFactory(StrategyFactory, owner=factory.SelfAttribute("..owner"))
    strategy_version = factory.LazyAttribute(
        lambda r: r.strategy.current_version if r.strategy else None
    )
    strategy_name = factory.LazyAttribute(lambda r: r.strategy.name if r.strategy else "inline")
    strategy_definition = factory.LazyAttribute(
        lambda r: r.strategy.normalized if r.strategy else {}
    )
    symbol = "BTCUSDT"
    interval = "1h"


class BacktestRunFactory(_StrategyJobFactory):
    class Meta:
        model = BacktestRun


class SweepFactory(_StrategyJobFactory):
    class Meta:
        model = Sweep

    grid = factory.LazyFunction(lambda: {"indicators.rsi.period": [7, 14]})
