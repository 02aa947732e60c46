"""Mother AI decisions: every candidate with its confidence, win rate, score, rank and why
it was taken or skipped; and the per-user schedule (off by default)."""

from django.conf import settings
from django.db import models

from apps.core.schedules import ScheduleBase


class Decision(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decisions"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    market_time = models.DateTimeField(
        null=True,
        blank=True,
        help_text="market time decided on: the newest close among the candidates' candles",
    )
    portfolio = models.ForeignKey(
        "portfolio.Portfolio",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the paper portfolio whose positions made the choices executable",
    )
    alpha = models.FloatField()
    beta = models.FloatField()
    prior_trades = models.PositiveIntegerField(
        help_text="pseudo-trades at 50% that shrink a short record"
    )
    top_n = models.PositiveSmallIntegerField()
    min_score = models.FloatField()
    candidates = models.JSONField(default=list)
    chosen = models.PositiveSmallIntegerField(default=0)
    trigger = models.CharField(
        max_length=10, default="api", help_text="api, page, schedule, admin, demo"
    )
    executed = models.BooleanField(default=False)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"decision {self.pk} ({self.chosen} chosen)"


class Schedule(ScheduleBase):
    """A user's Mother AI on a clock (apps/core/schedules.py: beat enqueues each due one)."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="motherai_schedule"
    )
    top_n = models.PositiveSmallIntegerField(default=3)
    min_score = models.FloatField(default=0.75)
    execute = models.BooleanField(default=False, help_text="place the chosen paper orders")

    def __str__(self) -> str:
        return f"Mother AI schedule of {self.owner} ({'on' if self.enabled else 'off'})"
