"""Desk backtests (SPEC §7a): the Mother AI's desk over a window, as one job row.

A row pins what ran: each agent's strategy version (its definition, copied) and model at
submit, the window and every desk parameter. The result is the metrics, the downsampled
curves (desk, each agent alone, buy & hold, random mean and 5-95% band), and the trades
and per-decision audit as compressed numpy archives (a 5-year 5-agent run has ~10^5
audit rows: one blob, read and filtered by ``selectors``, never one row each).
A sweep is the same row with a ``grid``: its result is one line per combination.
"""

from django.conf import settings
from django.db import models

from apps.core.jobs import Job, register_job_model
from engine.desk import DEFAULTS


@register_job_model
class DeskBacktest(Job):
    task_name = "deskbt.run"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_backtests"
    )
    name = models.CharField(max_length=120, blank=True)
    agents = models.JSONField(
        help_text="the agents as pinned at submit, by agent id: name, symbol, interval, "
        "strategy version and definition, model"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()

    top_n = models.PositiveSmallIntegerField(default=DEFAULTS["top_n"])
    min_score = models.FloatField(default=DEFAULTS["min_score"])
    alpha = models.FloatField(default=DEFAULTS["alpha"])
    beta = models.FloatField(default=DEFAULTS["beta"])
    prior_trades = models.PositiveIntegerField(default=DEFAULTS["prior_trades"])
    buy_fraction = models.FloatField(default=DEFAULTS["buy_fraction"])
    fee_rate = models.FloatField(default=DEFAULTS["fee_rate"])
    slippage_bps = models.FloatField(default=DEFAULTS["slippage_bps"])
    initial_balance = models.FloatField(default=DEFAULTS["initial_balance"])
    seeds = models.PositiveIntegerField(default=DEFAULTS["seeds"])

    grid = models.JSONField(null=True, blank=True, help_text="a sweep: parameter -> values")
    sweep_results = models.JSONField(null=True, blank=True)

    metrics = models.JSONField(null=True, blank=True)
    curves = models.JSONField(null=True, blank=True, help_text="downsampled, epoch ms")
    timings = models.JSONField(null=True, blank=True)
    decision_times = models.PositiveIntegerField(default=0)
    audit_rows = models.PositiveIntegerField(default=0)
    trade_rows = models.PositiveIntegerField(default=0)
    audit_npz = models.BinaryField(null=True, blank=True, editable=False)
    trades_npz = models.BinaryField(null=True, blank=True, editable=False)
    engine_version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        kind = "sweep" if self.grid else "desk backtest"
        return f"{kind} {self.pk} ({self.status})"

    @property
    def is_sweep(self) -> bool:
        return bool(self.grid)

    @property
    def label(self) -> str:
        return self.name or ", ".join(a["name"] for a in self.agents or [])
