from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
from apps.portfolio.api.serializers import StrategyHealthSerializer
from engine.marketdata import INTERVALS


@extend_schema_field({"type": "object", "additionalProperties": {}})
class StrategyJSONField(serializers.JSONField):
    """A strategy document: a JSON object (the strategy language checks the rest)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object: the strategy")
        return value


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 1}]})
class StrategyRefField(serializers.CharField):
    """A saved strategy: its id (3 or "3") or its seed-style id ("BTCUSDT_strategy_3")."""

    json_types = ((int, str), "must be a strategy id or a seed-style id such as BTCUSDT_strategy_3")


class StrategyInputSerializer(InputSerializer):
    strategy_json = StrategyJSONField(
        help_text="the strategy, either shape of the strategy language"
    )
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, validators=[validate_name]
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    symbol = SymbolField(required=False, help_text="defaults to the JSON's symbol")
    timeframe = serializers.ChoiceField(choices=INTERVALS, required=False)


class StrategyUpdateInputSerializer(StrategyInputSerializer):
    strategy_json = StrategyJSONField(required=False)


class StrategyValidateInputSerializer(InputSerializer):
    strategy_json = StrategyJSONField()
    symbol = SymbolField(required=False)
    timeframe = serializers.ChoiceField(choices=INTERVALS, required=False)


class StrategyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    strategy_id = serializers.CharField(
        source="seed_id", help_text="the original id form, {symbol}_strategy_{id}"
    )
    name = serializers.CharField()
    symbol = serializers.CharField()
    timeframe = serializers.CharField()
    version = serializers.IntegerField()
    strategy_json = serializers.JSONField(source="definition")
    normalized = serializers.JSONField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StrategyVersionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    symbol = serializers.CharField()
    timeframe = serializers.CharField()
    strategy_json = serializers.JSONField(source="definition")
    normalized = serializers.JSONField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()


class StrategyValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    normalized = serializers.JSONField()
    indicators_used = serializers.ListField(child=serializers.CharField())


class BacktestSummarySerializer(serializers.Serializer):
    run = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True)
    symbol = serializers.CharField()
    interval = serializers.CharField()
    window = serializers.ListField(
        child=serializers.DateTimeField(allow_null=True), help_text="first and last candle"
    )
    total_return_pct = serializers.FloatField(allow_null=True)
    buy_and_hold_return_pct = serializers.FloatField(allow_null=True)
    max_drawdown_pct = serializers.FloatField(allow_null=True)
    sharpe = serializers.FloatField(allow_null=True)
    win_rate_pct = serializers.FloatField(allow_null=True)
    num_trades = serializers.IntegerField(allow_null=True)


class BacktestsSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    latest = BacktestSummarySerializer(allow_null=True)
    runs = BacktestSummarySerializer(many=True, help_text="the 20 most recent")


class PaperSummarySerializer(serializers.Serializer):
    total_trades = serializers.IntegerField()
    win_rate = serializers.FloatField()
    avg_roi = serializers.FloatField()
    total_pnl = serializers.CharField()
    window = serializers.ListField(child=serializers.DateTimeField())
    health = StrategyHealthSerializer()


class DriftSideSerializer(serializers.Serializer):
    num_trades = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    avg_trade_return_pct = serializers.FloatField(allow_null=True)
    total_return_pct = serializers.FloatField(required=False, allow_null=True)


class DriftSerializer(serializers.Serializer):
    window = serializers.ListField(child=serializers.DateTimeField())
    backtest = DriftSideSerializer(required=False)
    paper = DriftSideSerializer(required=False)
    trade_count_difference = serializers.IntegerField(required=False)
    win_rate_difference = serializers.FloatField(required=False, allow_null=True)
    detail = serializers.CharField(
        required=False, help_text="why there is no backtest of the paper window"
    )


class StrategyPerformanceOutputSerializer(serializers.Serializer):
    strategy_id = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    backtests = BacktestsSummarySerializer()
    paper = PaperSummarySerializer(allow_null=True, help_text="null: no paper trades yet")
    drift = DriftSerializer(allow_null=True)
