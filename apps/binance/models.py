"""Exchange credentials (encrypted; only a masked hint is ever shown) and kline syncs."""

from django.conf import settings
from django.db import models

from apps.core.jobs import Job, register_job_model
from apps.core.schedules import ScheduleBase
from engine.marketdata import INTERVALS


class BinanceCredential(models.Model):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="binance_credential"
    )
    api_key_encrypted = models.TextField()
    secret_encrypted = models.TextField()
    key_hint = models.CharField(max_length=16, help_text="the last four characters of the API key")
    status = models.CharField(max_length=10, default="valid")
    permissions = models.JSONField(default=dict)
    validated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.owner} {self.key_hint}"


@register_job_model
class KlineSync(Job):
    task_name = "binance.kline_sync"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kline_syncs"
    )
    symbol = models.CharField(max_length=30)
    interval = models.CharField(max_length=3, choices=[(i, i) for i in INTERVALS])
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    candles_inserted = models.PositiveIntegerField(default=0)
    candles_present = models.PositiveIntegerField(default=0)
    last_open_time = models.DateTimeField(null=True, blank=True)
    waits = models.JSONField(default=list, blank=True, help_text="backoffs honoured (seconds)")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.symbol} {self.interval} ({self.status})"


class SyncSchedule(ScheduleBase):
    """Keep one market in sync: Celery beat starts a kline sync every `every_minutes` while
    `enabled` (off until the user turns it on). Each run resumes from the last stored candle."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kline_schedules"
    )
    symbol = models.CharField(max_length=30)
    interval = models.CharField(max_length=3, choices=[(i, i) for i in INTERVALS])
    start = models.DateTimeField(help_text="history starts here on the first run")
    last_sync = models.ForeignKey(
        KlineSync, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["symbol", "interval"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "symbol", "interval"], name="binance_schedule_unique_market"
            ),
            models.CheckConstraint(
                condition=models.Q(every_minutes__gte=1), name="binance_schedule_every_positive"
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.symbol} {self.interval} every {self.every_minutes} min ({state})"
