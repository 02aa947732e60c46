"""Symbols and hand-made candles (a flat bar at ``close`` unless told otherwise); the shipped
candle files are imported by the ``btc_candles`` fixture instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from apps.marketdata.models import Candle, Symbol

FIRST_BAR = datetime(2024, 1, 1, tzinfo=UTC)


class SymbolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Symbol
        django_get_or_create = ("name",)

    name = "BTCUSDT"


class CandleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candle

    symbol = factory.SubFactory(SymbolFactory)
    interval = "1h"
    open_time = factory.Sequence(lambda n: FIRST_BAR + timedelta(hours=n))
    close = 100.0
    open = factory.SelfAttribute("close")
    high = factory.SelfAttribute("close")
    low = factory.SelfAttribute("close")
    volume = 1.0
