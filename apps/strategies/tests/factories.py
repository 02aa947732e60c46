"""Saved strategies, made through ``strategy_create`` (so each has its version 1), with the
shared test definition SHAPE_A unless told otherwise."""

from __future__ import annotations

import copy

import factory

from apps.accounts.tests.factories import UserFactory
from apps.strategies.models import Strategy
from apps.strategies.services import strategy_create

SHAPE_A = {
    "symbol": "BTCUSDT",
    "indicators": {"rsi": {"period": 14, "buy_below": 30, "sell_above": 70}, "ema": {"period": 20}},
}


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    owner = factory.SubFactory(UserFactory)
    definition = factory.LazyFunction(lambda: copy.deepcopy(SHAPE_A))
    name = factory.Sequence(lambda n: f"strategy {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return strategy_create(**kwargs)
