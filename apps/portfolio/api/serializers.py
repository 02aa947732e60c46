from rest_framework import serializers

from apps.core.api.serializers import InputSerializer, SymbolQuerySerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
from apps.portfolio.models import Order, Source, TradeLog
from apps.portfolio.money import CASH_MAX, MONEY, PRICE_MAX, PRICE_MIN, fmt


class OrderInputSerializer(InputSerializer):
    symbol = SymbolField()
    action = serializers.ChoiceField(choices=["buy", "sell"])
    price = serializers.DecimalField(
        **MONEY,
        required=False,
        allow_null=True,
        min_value=PRICE_MIN,
        max_value=PRICE_MAX,
        help_text=f"from {fmt(PRICE_MIN)} to {fmt(PRICE_MAX)}, at most 8 decimal places; "
        "default: the latest close of the symbol, refused (400 naming price) when that close "
        "is older than DESK_MAX_STALE_BARS intervals",
    )
    market_time = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="only with a price: the market time the fill happened at (the candle the "
        "price came from); default now. Not in the future; a sell not before its position "
        "opened. Trade durations are market time.",
    )
    confidence = serializers.FloatField(
        required=False, allow_null=True, min_value=0.0, max_value=1.0
    )
    source = serializers.ChoiceField(choices=Source.choices, default=Source.MANUAL)
    portfolio = serializers.IntegerField(
        required=False, allow_null=True, help_text="default: your default portfolio"
    )
    strategy_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", validators=[validate_name]
    )
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OrderOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id",
            "portfolio",
            "symbol",
            "action",
            "quantity",
            "price",
            "notional",
            "fee",
            "cash_after",
            "price_source",
            "market_time",
            "decided_at",
            "confidence",
            "source",
            "strategy_name",
            "indicators_used",
            "notes",
            "idempotency_key",
            "created_at",
        ]


class TradeLogOutputSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = TradeLog
        fields = [
            "id",
            "portfolio",
            "symbol",
            "entry_time",
            "exit_time",
            "entry_price",
            "exit_price",
            "quantity",
            "position_type",
            "result",
            "strategy_name",
            "indicators_used",
            "confidence",
            "roi",
            "pnl",
            "fees",
            "drawdown",
            "duration_seconds",
            "notes",
            "source",
        ]

    def get_duration_seconds(self, obj) -> float:
        return obj.duration.total_seconds()


class TradeLogQuerySerializer(SymbolQuerySerializer):
    source = serializers.ChoiceField(
        choices=Source.choices,
        required=False,
        allow_blank=True,
        help_text="only trades from this source (empty: all)",
    )


class PortfolioInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=80, validators=[validate_name])
    initial_cash = serializers.DecimalField(
        **MONEY,
        min_value=PRICE_MIN,
        max_value=CASH_MAX,
        default="10000",
        help_text=f"from {fmt(PRICE_MIN)} to {fmt(CASH_MAX)}, at most 8 decimal places",
    )
    buy_fraction = serializers.DecimalField(max_digits=6, decimal_places=4, default="0.1")
    fee_rate = serializers.DecimalField(max_digits=8, decimal_places=6, default="0.001")


class PositionOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    quantity = serializers.CharField()
    avg_price = serializers.CharField()
    cost = serializers.CharField()
    last_price = serializers.CharField()
    market_value = serializers.CharField()
    unrealized_pnl = serializers.CharField()
    unrealized_pct = serializers.FloatField()
    opened_at = serializers.DateTimeField()
    strategy_name = serializers.CharField()
    source = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)


class PortfolioStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    quote_currency = serializers.CharField()
    initial_cash = serializers.CharField()
    cash = serializers.CharField()
    positions_value = serializers.CharField()
    total_value = serializers.CharField()
    total_return_pct = serializers.FloatField()
    buy_fraction = serializers.CharField()
    fee_rate = serializers.CharField()
    is_default = serializers.BooleanField()
    positions = PositionOutputSerializer(many=True)
    orders_count = serializers.IntegerField()
    trades_count = serializers.IntegerField()


class SnapshotPointSerializer(serializers.Serializer):
    time_epoch_s = serializers.IntegerField(help_text="epoch seconds UTC (chart data)")
    total = serializers.FloatField()
    cash = serializers.FloatField()


class PortfolioStateHistorySerializer(PortfolioStateSerializer):
    history = SnapshotPointSerializer(many=True, help_text="total value over time, oldest first")


class PerformanceSummarySerializer(serializers.Serializer):
    total_trades = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    loss_rate = serializers.FloatField(allow_null=True)
    avg_roi = serializers.FloatField(allow_null=True)
    max_drawdown = serializers.FloatField(allow_null=True)
    sharpe = serializers.FloatField(allow_null=True)


class SymbolPerformanceSerializer(PerformanceSummarySerializer):
    symbol = serializers.CharField()


class StrategyPerformanceRowSerializer(PerformanceSummarySerializer):
    strategy = serializers.CharField()


class SourcePerformanceSerializer(PerformanceSummarySerializer):
    source = serializers.CharField()


class StrategyHealthSerializer(serializers.Serializer):
    strategy_name = serializers.CharField()
    lookback = serializers.IntegerField()
    count = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    avg_profit = serializers.FloatField(allow_null=True)
    recent_drawdown = serializers.FloatField(allow_null=True)


class PerformanceOutputSerializer(serializers.Serializer):
    by_symbol = SymbolPerformanceSerializer(many=True)
    by_strategy = StrategyPerformanceRowSerializer(many=True)
    by_source = SourcePerformanceSerializer(many=True)
    strategy_health = StrategyHealthSerializer(many=True)


class PerformanceRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    total_trades = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    loss_rate = serializers.FloatField(allow_null=True)
    avg_roi = serializers.FloatField(allow_null=True)
    max_drawdown = serializers.FloatField(allow_null=True)
    sharpe = serializers.FloatField(allow_null=True)
