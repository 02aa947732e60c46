"""Paper portfolios: exact money (Decimal), positions, every order, and closed round trips.

Every amount is an ExactDecimalField: exact Decimal on PostgreSQL and on SQLite alike
(columns and bounds in money.py). The database enforces what the services promise: cash and quantities never go
negative (check constraints), one position per symbol, an idempotency key is used once
per portfolio.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.fields import ExactDecimalField
from engine.desk.clock import age_words

from .money import CASH_MAX, MONEY, PRICE_MIN, QTY


class Source(models.TextChoices):
    MANUAL = "manual", "Manual"
    AGENT = "agent", "Agent"
    MOTHERAI = "motherai", "Mother AI"


class Portfolio(models.Model):
    class Kind(models.TextChoices):
        PAPER = "paper", "Paper (live)"
        REPLAY = "replay", "Replay session"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolios"
    )
    name = models.CharField(max_length=80, default="Paper")
    quote_currency = models.CharField(max_length=10, default="USDT")
    initial_cash = ExactDecimalField(
        **MONEY,
        default=Decimal("10000"),
        validators=[MinValueValidator(PRICE_MIN), MaxValueValidator(CASH_MAX)],
    )
    cash = ExactDecimalField(**MONEY, default=Decimal("10000"))
    buy_fraction = ExactDecimalField(
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.1000"),
        help_text="share of cash a buy spends (0.10 = 10%)",
    )
    fee_rate = ExactDecimalField(max_digits=8, decimal_places=6, default=Decimal("0.001000"))
    is_default = models.BooleanField(default=False)
    kind = models.CharField(
        max_length=6,
        choices=Kind.choices,
        default=Kind.PAPER,
        help_text="a replay session's portfolio trades history: its round trips never count "
        "in the live track records, trade log or strategy health",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="portfolio_unique_owner_name"),
            models.CheckConstraint(
                condition=models.Q(cash__gte=0), name="portfolio_cash_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(buy_fraction__gt=0) & models.Q(buy_fraction__lte=1),
                name="portfolio_buy_fraction_range",
            ),
            models.CheckConstraint(
                condition=models.Q(fee_rate__gte=0) & models.Q(fee_rate__lt=Decimal("0.1")),
                name="portfolio_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"


class Position(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="positions")
    symbol = models.CharField(max_length=30)
    quantity = ExactDecimalField(**QTY)
    avg_price = ExactDecimalField(**MONEY, help_text="average entry price (before fees)")
    cost = ExactDecimalField(**MONEY, help_text="cash spent on it, fees included")
    fees = ExactDecimalField(**MONEY, default=Decimal("0"))
    opened_at = models.DateTimeField()
    strategy_name = models.CharField(max_length=120, blank=True)
    indicators_used = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["portfolio", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "symbol"], name="position_unique_symbol"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="position_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.symbol} @ {self.avg_price}"


class Order(models.Model):
    class Action(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="orders")
    symbol = models.CharField(max_length=30)
    action = models.CharField(max_length=4, choices=Action.choices)
    quantity = ExactDecimalField(**QTY)
    price = ExactDecimalField(**MONEY)
    notional = ExactDecimalField(**MONEY, help_text="quantity x price")
    fee = ExactDecimalField(**MONEY)
    cash_after = ExactDecimalField(**MONEY)
    price_source = models.CharField(max_length=40, help_text="'given' or the candle it came from")
    market_time = models.DateTimeField(
        help_text="market time of the fill: the candle whose price it used (its close, or "
        "the open it filled at), or when it was placed at a given price"
    )
    decided_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="market time of the decision: the close of the last candle the signal used",
    )
    confidence = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    strategy_name = models.CharField(max_length=120, blank=True)
    indicators_used = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    # NULL, not "": the partial unique constraint below must ignore orders without a key.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    decision = models.ForeignKey(
        "motherai.Decision", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="order_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.quantity} {self.symbol} @ {self.price}"


class TradeLog(models.Model):
    """A closed round trip, with every field of the original system's TradeLog."""

    class Result(models.TextChoices):
        WIN = "win", "Win"
        LOSS = "loss", "Loss"
        BREAKEVEN = "breakeven", "Breakeven"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="trade_logs")
    symbol = models.CharField(max_length=30, db_index=True)
    entry_time = models.DateTimeField()
    exit_time = models.DateTimeField(db_index=True)
    entry_price = ExactDecimalField(**MONEY)
    exit_price = ExactDecimalField(**MONEY)
    quantity = ExactDecimalField(**QTY)
    position_type = models.CharField(max_length=5, default="long")
    result = models.CharField(max_length=9, choices=Result.choices)
    strategy_name = models.CharField(max_length=120, blank=True)
    indicators_used = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    roi = models.FloatField(help_text="return on the cash spent, %, fees included")
    pnl = ExactDecimalField(**MONEY)
    fees = ExactDecimalField(**MONEY)
    drawdown = models.FloatField(help_text="worst price move against the position while open, %")
    duration = models.DurationField()
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="trade_logs"
    )
    entry_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exit_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-exit_time", "-id"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.result} {self.roi:+.2f}%"

    @property
    def duration_words(self) -> str:
        """How long the position was held, in market time, in words ("3 days, 4 hours")."""
        return age_words(self.duration)


class Snapshot(models.Model):
    """Portfolio value after each order: the P&L chart."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="snapshots")
    time = models.DateTimeField(db_index=True)
    cash = ExactDecimalField(**MONEY)
    positions_value = ExactDecimalField(**MONEY)
    total = ExactDecimalField(**MONEY)

    class Meta:
        ordering = ["portfolio", "time", "id"]

    def __str__(self) -> str:
        return f"{self.portfolio_id} {self.time:%Y-%m-%d %H:%M} {self.total}"
