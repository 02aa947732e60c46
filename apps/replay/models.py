"""Replay sessions (SPEC §7a "Replay"): a paper desk stepping a market clock through
history with its own portfolio. A session pins its agents (strategy version and model as
they were), keeps its parameters, its clock and status; every decision time it processed
is a ReplayStep (the equity at that time) and every agent evaluated there a
ReplayCandidate (action, confidence, win rate, score, rank, what became of it and of its
fill)."""

from django.conf import settings
from django.db import models

from engine.desk.rules import FILL_TEXT, STATUS_TEXT


class ReplaySession(models.Model):
    class Status(models.TextChoices):
        READY = "ready", "Ready"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        STOPPED = "stopped", "Stopped"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="replay_sessions"
    )
    name = models.CharField(max_length=60)
    start = models.DateTimeField(help_text="first candle open time of the window")
    end = models.DateTimeField(help_text="last candle open time of the window")
    bars_per_step = models.PositiveIntegerField(default=1, help_text="decision times per step")
    step_seconds = models.FloatField(default=2.0, help_text="wall-clock seconds between steps")
    params = models.JSONField(default=dict, help_text="the desk's parameters (DeskParams)")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.READY, db_index=True
    )
    clock = models.DateTimeField(
        null=True, blank=True, help_text="market time: the last decision time processed"
    )
    steps_done = models.PositiveIntegerField(default=0, help_text="decision times processed")
    times_total = models.PositiveIntegerField(default=0, help_text="decision times in the window")
    portfolio = models.OneToOneField(
        "portfolio.Portfolio",
        on_delete=models.PROTECT,
        related_name="replay_session",
        null=True,
        blank=True,
    )
    last_step_at = models.DateTimeField(null=True, blank=True, help_text="wall time")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="replay_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(bars_per_step__gte=1), name="replay_bars_per_step_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"replay {self.pk} {self.name} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.READY, self.Status.RUNNING, self.Status.PAUSED)


class ReplayAgent(models.Model):
    """An agent as the session pinned it: its symbol, interval, strategy version and model."""

    session = models.ForeignKey(ReplaySession, on_delete=models.CASCADE, related_name="agents")
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    symbol = models.CharField(max_length=30)
    interval = models.CharField(max_length=3)
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion", on_delete=models.PROTECT, related_name="+"
    )
    model = models.ForeignKey(
        "ml.TrainedModel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["session", "agent_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "agent"], name="replay_agent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol} {self.interval})"


class ReplayStep(models.Model):
    """One decision time the session processed, and the desk's equity after it."""

    session = models.ForeignKey(ReplaySession, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField()
    market_time = models.DateTimeField()
    cash = models.FloatField()
    equity = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="replay_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.seq} {self.market_time:%Y-%m-%d %H:%M} {self.equity:.2f}"


class ReplayCandidate(models.Model):
    """An agent due at a decision time: its signal; for a buy or sell, the Mother AI's
    score, rank and status (engine.desk.rules.STATUS_TEXT) and, when taken, its fill."""

    class Fill(models.TextChoices):
        PENDING = "pending", FILL_TEXT[0]
        FILLED = "filled", FILL_TEXT[1]
        NO_NEXT_CANDLE = "no_next_candle", FILL_TEXT[2]
        NO_CASH = "no_cash", FILL_TEXT[3]

    session = models.ForeignKey(ReplaySession, on_delete=models.CASCADE, related_name="candidates")
    step = models.ForeignKey(ReplayStep, on_delete=models.CASCADE, related_name="candidates")
    agent = models.ForeignKey(ReplayAgent, on_delete=models.CASCADE, related_name="candidates")
    market_time = models.DateTimeField(help_text="the decision time: the bar's close")
    candle_time = models.DateTimeField(help_text="the bar's open")
    action = models.CharField(max_length=4)
    confidence = models.FloatField()
    probability_up = models.FloatField(null=True, blank=True)
    win_rate = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField(default=0, help_text="among the executable; 0: none")
    status = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=list(enumerate(STATUS_TEXT)), help_text="null: a hold"
    )
    take_order = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    fill = models.CharField(max_length=15, choices=Fill.choices, blank=True)
    fill_at = models.DateTimeField(null=True, blank=True, help_text="the fill candle's open")
    fill_open = models.FloatField(null=True, blank=True)
    fill_note = models.CharField(max_length=300, blank=True)
    order = models.ForeignKey(
        "portfolio.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["session", "market_time", "agent_id"]
        indexes = [models.Index(fields=["session", "fill"])]

    def __str__(self) -> str:
        return f"{self.market_time:%Y-%m-%d %H:%M} {self.agent} {self.action}"

    @property
    def status_text(self) -> str:
        return "hold: not a candidate" if self.status is None else STATUS_TEXT[self.status]
