from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
from engine.marketdata import INTERVALS
from engine.strategy.schema import LOGICS


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


class ConditionSerializer(serializers.Serializer):
    """One condition of a normalised strategy (engine.strategy.schema.Condition)."""

    indicator = serializers.CharField(help_text="an indicator, or a price column (close, ...)")
    condition = serializers.CharField(
        help_text='operator and right side, e.g. "< 30" or "crosses_above ema(20)"'
    )
    params = serializers.DictField(required=False, help_text="the indicator's parameters")
    line = serializers.CharField(required=False, help_text="a line other than the default")
    timeframe = serializers.ChoiceField(
        choices=INTERVALS, required=False, help_text="evaluated on this higher timeframe"
    )


class RiskSerializer(serializers.Serializer):
    stop_loss_pct = serializers.FloatField(allow_null=True)
    take_profit_pct = serializers.FloatField(allow_null=True)
    position_size_pct = serializers.FloatField()


class NormalizedStrategySerializer(serializers.Serializer):
    """The strategy in the conditions shape, whichever shape it was written in."""

    strategy_name = serializers.CharField()
    symbol = serializers.CharField()
    timeframe = serializers.ChoiceField(choices=INTERVALS)
    entry_conditions = ConditionSerializer(many=True)
    exit_conditions = ConditionSerializer(many=True)
    entry_logic = serializers.ChoiceField(choices=LOGICS)
    exit_logic = serializers.ChoiceField(choices=LOGICS)
    risk = RiskSerializer()
    notes = serializers.CharField(allow_blank=True)
    params = serializers.DictField(
        required=False,
        help_text="the named parameters it declares (name -> default, or {default, min, max}); "
        "absent when it declares none. The conditions above hold the resolved values.",
    )


@extend_schema_field(NormalizedStrategySerializer)
class NormalizedStrategyField(serializers.JSONField):
    """The normalised strategy as the engine writes it; its schema is NormalizedStrategy."""


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
    seed_id = serializers.CharField(
        help_text="the original id form, {symbol}_strategy_{id}; `id` is the strategy's id "
        "everywhere else in the API (strategy_id)"
    )
    name = serializers.CharField()
    symbol = serializers.CharField()
    timeframe = serializers.CharField()
    version = serializers.IntegerField()
    strategy_json = serializers.JSONField(source="definition")
    normalized = NormalizedStrategyField()
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
    normalized = NormalizedStrategyField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()


class StrategyValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    normalized = NormalizedStrategyField()
    indicators_used = serializers.ListField(child=serializers.CharField())
