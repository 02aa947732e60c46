"""Paper portfolios, made through ``portfolio_create`` (its checks and defaults), and closed
round trips (TradeLog rows) for report and money tests that need a given P&L."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory

from apps.accounts.tests.factories import UserFactory
from apps.portfolio.models import Portfolio, TradeLog
from apps.portfolio.services import portfolio_create


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"portfolio {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return portfolio_create(**kwargs)


class TradeLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TradeLog

    portfolio = factory.SubFactory(PortfolioFactory)
    symbol = "BTCUSDT"
    entry_time = factory.LazyFunction(lambda: datetime.now(UTC))
    exit_time = factory.SelfAttribute("entry_time")
    entry_price = Decimal("1")
    exit_price = Decimal("1")
    quantity = Decimal("1")
    result = TradeLog.Result.WIN
    roi = 0.0
    pnl = Decimal("0")
    fees = Decimal("0")
    drawdown = 0.0
    duration = factory.LazyAttribute(lambda t: t.exit_time - t.entry_time)
