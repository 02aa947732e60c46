"""A user's strategies, each saved change kept as a numbered version.

A backtest (and a paper trade) points at the exact version it used, so editing a
strategy never rewrites history.
"""

from django.conf import settings
from django.db import models

from engine.marketdata import INTERVALS

INTERVAL_CHOICES = [(i, i) for i in INTERVALS]


class Strategy(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategies"
    )
    name = models.CharField(max_length=120)
    symbol = models.CharField(max_length=30, db_index=True)
    timeframe = models.CharField(max_length=3, choices=INTERVAL_CHOICES, default="1h")
    definition = models.JSONField(help_text="the JSON as the user wrote it (either shape)")
    normalized = models.JSONField(help_text="the engine's normalised form")
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="the current version number")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="strategy_unique_owner_name")
        ]
        indexes = [models.Index(fields=["owner", "symbol"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol} {self.timeframe})"

    @property
    def seed_id(self) -> str:
        """The original system's id form: ``{symbol}_strategy_{id}``."""
        return f"{self.symbol}_strategy_{self.pk}"

    @property
    def current_version(self) -> "StrategyVersion":
        return self.versions.get(number=self.version)


class StrategyVersion(models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    symbol = models.CharField(max_length=30)
    timeframe = models.CharField(max_length=3, choices=INTERVAL_CHOICES)
    definition = models.JSONField()
    normalized = models.JSONField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "number"], name="strategy_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"
