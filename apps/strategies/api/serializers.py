from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
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
    seed_id = serializers.CharField(
        help_text="the original id form, {symbol}_strategy_{id}; `id` is the strategy's id "
        "everywhere else in the API (strategy_id)"
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
