"""Backtest runs (one per submitted backtest), their trades (columnar), and parameter sweeps.

A run stores every engine parameter and the exact strategy it ran (a version of a saved
strategy, or an inline definition), so its result can always be explained and redone.
"""

from django.conf import settings
from django.db import models

from apps.core.jobs import Job, register_job_model
from engine.backtest import DEFAULTS
from engine.backtest.sweep import DEFAULT_METRIC
from engine.marketdata import INTERVALS

INTERVAL_CHOICES = [(i, i) for i in INTERVALS]


class Fill(models.TextChoices):
    NEXT_OPEN = "next_open", "Next bar's open"
    CLOSE = "close", "Signal bar's close"


class BacktestParams(models.Model):
    """The engine parameters every run and sweep records (defaults: BacktestConfig's)."""

    symbol = models.CharField(max_length=30)
    interval = models.CharField(max_length=3, choices=INTERVAL_CHOICES)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    initial_balance = models.FloatField(default=DEFAULTS["initial_balance"])
    fee_rate = models.FloatField(default=DEFAULTS["fee_rate"])
    slippage_bps = models.FloatField(default=DEFAULTS["slippage_bps"])
    fill = models.CharField(max_length=10, choices=Fill.choices, default=DEFAULTS["fill"])
    allow_short = models.BooleanField(default=DEFAULTS["allow_short"])
    position_size_pct = models.FloatField(
        null=True, blank=True, help_text="empty: the strategy's risk setting"
    )
    stop_loss_pct = models.FloatField(
        null=True, blank=True, help_text="empty: the strategy's risk setting"
    )
    take_profit_pct = models.FloatField(
        null=True, blank=True, help_text="empty: the strategy's risk setting"
    )

    class Meta:
        abstract = True


@register_job_model
class Sweep(Job, BacktestParams):
    task_name = "backtests.sweep"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sweeps"
    )
    strategy = models.ForeignKey(
        "strategies.Strategy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    strategy_name = models.CharField(max_length=120)
    strategy_definition = models.JSONField()
    grid = models.JSONField(help_text="parameter path -> list of values")
    metric = models.CharField(max_length=40, default=DEFAULT_METRIC)
    combinations = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    walk_forward = models.JSONField(
        null=True, blank=True, help_text="in/out-of-sample windows and stitched result"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sweep {self.pk} {self.strategy_name} {self.symbol} {self.interval}"


@register_job_model
class BacktestRun(Job, BacktestParams):
    task_name = "backtests.run"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backtest_runs"
    )
    strategy = models.ForeignKey(
        "strategies.Strategy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backtest_runs",
    )
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backtest_runs",
    )
    strategy_name = models.CharField(max_length=120)
    strategy_definition = models.JSONField(help_text="the normalised strategy exactly as run")

    metrics = models.JSONField(null=True, blank=True)
    assumptions = models.JSONField(null=True, blank=True)
    equity_curve = models.JSONField(
        null=True, blank=True, help_text="downsampled: t (ms), equity, buy & hold"
    )
    candles_count = models.PositiveIntegerField(default=0)
    first_candle = models.DateTimeField(null=True, blank=True)
    last_candle = models.DateTimeField(null=True, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    compute_ms = models.PositiveIntegerField(null=True, blank=True, help_text="time in the engine")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"run {self.pk} {self.strategy_name} {self.symbol} {self.interval} ({self.status})"


class BacktestTradeTable(models.Model):
    """A run's trades, columnar: one uncompressed .npz blob written in one step with the
    run's result (apps/backtests/tradestore.py says why and what is in it). ``count`` and
    ``last_exit`` answer "how many" and "the most recent trades" without opening it."""

    run = models.OneToOneField(
        BacktestRun, primary_key=True, on_delete=models.CASCADE, related_name="trade_table"
    )
    count = models.PositiveIntegerField(default=0)
    last_exit = models.DateTimeField(null=True, blank=True, db_index=True)
    data = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.count} trades"


class SweepResult(models.Model):
    """One grid combination's outcome (unique per sweep and combination: re-running a chunk
    stores nothing twice)."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="results")
    combo = models.PositiveIntegerField()
    params = models.JSONField()
    metrics = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["sweep", "combo"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "combo"], name="sweep_result_unique_combo")
        ]

    def __str__(self) -> str:
        return f"sweep {self.sweep_id} #{self.combo}"
