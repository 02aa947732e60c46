"""Deleting a symbol or a series: the symbol row is locked before its candles go, and the
cached files go once the deletion commits.

Candles have no database-level foreign key (see ``Candle.symbol``): a bulk import holds its
symbol row ``FOR KEY SHARE`` until it commits, so ``symbol_lock`` (which runs before
Django's cascade deletes the candles) waits for it, and the cascade then sees and removes
the candles that import stored. Receivers, not a service, so the admin, the API and any ORM
delete take the same path.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from . import candlecache
from .models import CandleSeries, Symbol


@receiver(pre_delete, sender=Symbol, dispatch_uid="marketdata.symbol_lock")
def symbol_lock(sender, instance: Symbol, **kwargs) -> None:
    if connection.vendor == "postgresql":
        # FOR UPDATE conflicts with an importer's FOR KEY SHARE (SQLite's single writer
        # already serialises the two).
        list(Symbol.objects.select_for_update().filter(pk=instance.pk).values_list("pk"))


@receiver(post_delete, sender=Symbol, dispatch_uid="marketdata.symbol_cache_drop")
def symbol_cache_drop(sender, instance: Symbol, **kwargs) -> None:
    symbol_id = instance.pk
    transaction.on_commit(lambda: candlecache.drop(symbol_id))


@receiver(post_delete, sender=CandleSeries, dispatch_uid="marketdata.series_cache_drop")
def series_cache_drop(sender, instance: CandleSeries, **kwargs) -> None:
    symbol_id, interval = instance.symbol_id, instance.interval
    transaction.on_commit(lambda: candlecache.drop(symbol_id, interval))
