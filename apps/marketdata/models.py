"""Symbols, candles and the record of every import.

Candles are shared market data: any signed-in user reads them; importing needs the
``marketdata.import_candles`` permission.
"""

import uuid

from django.conf import settings
from django.db import models

from apps.core.jobs import Job, register_job_model
from engine.marketdata import INTERVALS

INTERVAL_CHOICES = [(i, i) for i in INTERVALS]


class Symbol(models.Model):
    class AssetClass(models.TextChoices):
        CRYPTO = "crypto", "Crypto"
        STOCK = "stock", "Stock"
        FX = "fx", "Forex"
        OTHER = "other", "Other"

    name = models.CharField(max_length=30, unique=True, help_text="e.g. BTCUSDT")
    base_asset = models.CharField(max_length=20, blank=True)
    quote_asset = models.CharField(max_length=20, blank=True)
    exchange = models.CharField(max_length=40, blank=True, default="binance")
    asset_class = models.CharField(
        max_length=10, choices=AssetClass.choices, default=AssetClass.CRYPTO
    )
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def closed_at_weekends(self) -> bool:
        """Stocks and forex have no weekend bars, so gaps skip Saturdays and Sundays."""
        return self.asset_class in WEEKDAY_ASSET_CLASSES


WEEKDAY_ASSET_CLASSES = frozenset({Symbol.AssetClass.STOCK, Symbol.AssetClass.FX})


def new_stamp() -> str:
    """A series version: random, so a stamp never repeats (not after a rollback, not across
    databases), and a cache file named by it can never be taken for another version."""
    return uuid.uuid4().hex


def series_touch(pairs) -> None:
    """Give each (symbol_id, interval) series that has a stamp a new one: the cached copy of
    it is no longer the truth, and its file goes once this commits. For the ORM write
    paths; the import path sets its own."""
    from django.db import transaction

    from . import candlecache

    for symbol_id, interval in set(pairs):
        stamp = new_stamp()
        if CandleSeries.objects.filter(symbol_id=symbol_id, interval=interval).update(stamp=stamp):
            transaction.on_commit(
                lambda s=symbol_id, i=interval, k=stamp: candlecache.drop(s, i, keep=k)
            )


class CandleQuerySet(models.QuerySet):
    """Every ORM write of candles moves the version stamp of the series it touched (the bulk
    import path in services does the same in its own SQL), so no cache outlives a change."""

    def _pairs(self):
        return list(self.values_list("symbol_id", "interval").distinct().order_by())

    def delete(self):
        pairs = self._pairs()
        result = super().delete()
        series_touch(pairs)
        return result

    def update(self, **kwargs):
        pairs = self._pairs()
        result = super().update(**kwargs)
        series_touch(pairs + self._pairs())
        return result

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        series_touch((o.symbol_id, o.interval) for o in objs)
        return objs

    def bulk_update(self, objs, *args, **kwargs):
        result = super().bulk_update(objs, *args, **kwargs)
        series_touch((o.symbol_id, o.interval) for o in objs)
        return result


class Candle(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No database-level foreign key and no index of its own (the unique index below leads
    # with symbol): on PostgreSQL a 1M-row import spent ~40% of its time in the per-row
    # foreign-key trigger and the redundant index. Integrity is kept where candles are
    # written and symbols deleted: the bulk import holds the symbol row (FOR KEY SHARE,
    # the lock the trigger took per row) until it commits, and deleting a symbol locks its
    # row first (``signals.symbol_lock``), then removes its candles (Django's cascade).
    symbol = models.ForeignKey(
        Symbol,
        on_delete=models.CASCADE,
        related_name="candles",
        db_constraint=False,
        db_index=False,
    )
    interval = models.CharField(max_length=3, choices=INTERVAL_CHOICES)
    open_time = models.DateTimeField(help_text="UTC open time of the bar")
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField()

    objects = CandleQuerySet.as_manager()

    class Meta:
        ordering = ["symbol", "interval", "open_time"]
        constraints = [
            # Also the index for range scans: (symbol, interval, open_time) in that order.
            models.UniqueConstraint(
                fields=["symbol", "interval", "open_time"],
                name="candle_unique_symbol_interval_time",
            ),
        ]
        permissions = [("import_candles", "Can import candles")]

    def __str__(self) -> str:
        return f"{self.symbol_id} {self.interval} {self.open_time:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        series_touch([(self.symbol_id, self.interval)])

    def delete(self, *args, **kwargs):
        pair = (self.symbol_id, self.interval)
        result = super().delete(*args, **kwargs)
        series_touch([pair])
        return result


class CandleSeries(models.Model):
    """The version of one (symbol, interval) series: a new random ``stamp`` is written in the
    same transaction as any change to its candles. The candle cache (``candlecache``) files a
    series under its stamp and serves a file only while the stamp still matches, so a reader
    sees the series before or after an import, never a mix. A series without a row (or with
    an empty stamp) is read from the database only."""

    symbol = models.ForeignKey(Symbol, on_delete=models.CASCADE, related_name="+")
    interval = models.CharField(max_length=3, choices=INTERVAL_CHOICES)
    stamp = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "interval"], name="candleseries_unique_symbol_interval"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol_id} {self.interval} {self.stamp}"


@register_job_model
class CandleImport(Job):
    """One import of a file or an exchange download: who, what, and what happened to each row.

    An upload is a job (``apps.core.jobs``): the row is the truth about it, queued with the
    stored file (``upload_path``), claimed and run by a worker (or in the request, for a
    small file), ``progress`` and ``stage`` written while it reads, checks and stores the
    rows. It ends ``succeeded``, ``rejected`` (a row failed validation: nothing stored),
    ``failed`` (an error: nothing stored) or ``cancelled``. Imports from the command, the demo
    loader and the exchange run in their caller and are stored once finished."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    task_name = "marketdata.import"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        FILE = "file", "File (command)"
        DEMO = "demo", "Demo data"
        BINANCE = "binance", "Binance"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    symbol = models.ForeignKey(
        Symbol, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    symbol_name = models.CharField(max_length=30)
    interval = models.CharField(max_length=3, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    layout = models.CharField(max_length=20, blank=True)
    timestamp_units = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(
        max_length=20, blank=True, help_text="what a running import is doing (reading, storing)"
    )
    upload_path = models.CharField(
        max_length=500, blank=True, help_text="the stored upload while the import waits or runs"
    )
    rows_total = models.IntegerField(default=0)
    rows_inserted = models.IntegerField(default=0)
    rows_present = models.IntegerField(default=0, help_text="already stored (re-import)")
    rows_conflicting = models.IntegerField(
        default=0, help_text="already stored with different values (the stored ones were kept)"
    )
    rows_rejected = models.IntegerField(default=0)
    rows_duplicate_in_file = models.IntegerField(default=0)
    rejections = models.JSONField(
        default=list, blank=True, help_text="first rejected rows: line, reason"
    )
    gaps = models.JSONField(default=list, blank=True)
    gap_count = models.IntegerField(default=0)
    first_time = models.DateTimeField(null=True, blank=True)
    last_time = models.DateTimeField(null=True, blank=True)
    duration_ms = models.IntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.symbol_name} {self.interval} {self.filename} ({self.status})"
