"""Agents: one per user and symbol, a pinned strategy version and optionally a model.
Generic agents are configured, not subclassed; every evaluation can be kept as a Signal."""

from django.conf import settings
from django.db import models

from engine.marketdata import INTERVALS


class Agent(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agents"
    )
    name = models.CharField(max_length=80)
    symbol = models.CharField(max_length=30)
    interval = models.CharField(max_length=3, choices=[(i, i) for i in INTERVALS], default="1h")
    strategy = models.ForeignKey(
        "strategies.Strategy", on_delete=models.PROTECT, related_name="agents"
    )
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion", on_delete=models.PROTECT, related_name="agents"
    )
    model = models.ForeignKey(
        "ml.TrainedModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "symbol"], name="agent_unique_owner_symbol")
        ]

    def __str__(self) -> str:
        return self.name


class Signal(models.Model):
    class Action(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"
        HOLD = "hold", "Hold"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="signals")
    symbol = models.CharField(max_length=30)
    action = models.CharField(max_length=4, choices=Action.choices)
    confidence = models.FloatField()
    confidence_source = models.CharField(max_length=20)
    candle_time = models.DateTimeField(help_text="open time of the last closed candle used")
    market_time = models.DateTimeField(
        null=True,
        blank=True,
        help_text="market time of the signal: the close of the last candle it used",
    )
    entry_price = models.FloatField()
    target_price = models.FloatField()
    stop_loss = models.FloatField()
    targets_from = models.CharField(max_length=20)
    probability_up = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.action} {self.confidence:.2f}"
