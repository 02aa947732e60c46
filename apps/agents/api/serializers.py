from rest_framework import serializers

from apps.agents.models import Agent, Signal
from apps.core.api.fields import MoneyField
from apps.core.api.serializers import InputSerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
from apps.strategies.api.serializers import StrategyRefField
from engine.marketdata import INTERVALS


class AgentInputSerializer(InputSerializer):
    symbol = SymbolField()
    strategy = StrategyRefField(help_text="a saved strategy: id or BTCUSDT_strategy_3")
    model = serializers.IntegerField(
        required=False, allow_null=True, help_text="a trained model id for confidence"
    )
    name = serializers.CharField(
        max_length=80, required=False, allow_blank=True, validators=[validate_name]
    )
    interval = serializers.ChoiceField(choices=INTERVALS, required=False)
    enabled = serializers.BooleanField(default=True)


class AgentUpdateInputSerializer(InputSerializer):
    enabled = serializers.BooleanField()


class AgentOutputSerializer(serializers.ModelSerializer):
    strategy_name = serializers.CharField(source="strategy.name")
    strategy_version = serializers.IntegerField(source="strategy_version.number")

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "symbol",
            "interval",
            "strategy",
            "strategy_name",
            "strategy_version",
            "model",
            "enabled",
            "created_at",
        ]


class ReasonSerializer(serializers.Serializer):
    condition = serializers.CharField()
    side = serializers.CharField()
    fired = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    strength = serializers.FloatField()


class EvaluationOutputSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    agent_name = serializers.CharField()
    symbol = serializers.CharField()
    interval = serializers.CharField()
    action = serializers.ChoiceField(choices=["buy", "sell", "hold"])
    confidence = serializers.FloatField(help_text="0..1")
    confidence_source = serializers.CharField(help_text="model or signal_strength")
    candle_time = serializers.CharField(help_text="open time of the last closed candle")
    market_time = serializers.CharField(
        help_text="the close of the last closed candle: the market time the signal is decided at"
    )
    fresh = serializers.BooleanField(
        help_text="whether that close is within DESK_MAX_STALE_BARS intervals of now"
    )
    age = serializers.CharField(help_text="how long ago that close was, in words")
    age_bars = serializers.IntegerField(help_text="whole intervals since that close")
    entry_price = MoneyField()
    target_price = MoneyField()
    stop_loss = MoneyField()
    targets_from = serializers.CharField(help_text="strategy_risk, atr or strategy_risk+atr")
    probability_up = serializers.FloatField(allow_null=True)
    reasons = ReasonSerializer(many=True)
    strategy_name = serializers.CharField()
    strategy_version = serializers.IntegerField()
    indicators_used = serializers.ListField(child=serializers.CharField())
    model_id = serializers.IntegerField(allow_null=True)


class AgentPredictQuerySerializer(InputSerializer):
    store = serializers.BooleanField(default=False, help_text="keep the evaluation as a Signal")


class AgentDataErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    symbol = serializers.CharField()


class PredictionItemSerializer(serializers.Serializer):
    agentName = serializers.CharField()  # noqa: N815 - the original frontend's field names
    symbol = serializers.CharField()
    prediction = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True, help_text="0..100")
    entryPrice = MoneyField(allow_null=True)  # noqa: N815
    targetPrice = MoneyField(allow_null=True)  # noqa: N815
    stopLoss = MoneyField(allow_null=True)  # noqa: N815
    error = serializers.CharField(allow_null=True)
    agent_id = serializers.IntegerField()
    market_time = serializers.CharField(
        allow_null=True, help_text="the close of the candle the signal used"
    )
    fresh = serializers.BooleanField(
        allow_null=True, help_text="within DESK_MAX_STALE_BARS intervals of now"
    )
    age = serializers.CharField(allow_null=True, help_text="age of that close, in words")
    age_bars = serializers.IntegerField(allow_null=True)


class SignalOutputSerializer(serializers.ModelSerializer):
    entry_price = MoneyField()
    target_price = MoneyField()
    stop_loss = MoneyField()

    class Meta:
        model = Signal
        fields = [
            "id",
            "agent",
            "symbol",
            "action",
            "confidence",
            "confidence_source",
            "candle_time",
            "market_time",
            "entry_price",
            "target_price",
            "stop_loss",
            "targets_from",
            "probability_up",
            "reasons",
            "created_at",
        ]
