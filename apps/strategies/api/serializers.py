from rest_framework import serializers

from engine.marketdata import INTERVALS


class StrategyInputSerializer(serializers.Serializer):
    strategy_json = serializers.JSONField(
        help_text="the strategy, either shape of the strategy language"
    )
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    symbol = serializers.CharField(
        max_length=30, required=False, help_text="defaults to the JSON's symbol"
    )
    timeframe = serializers.ChoiceField(choices=INTERVALS, required=False)


class StrategyUpdateInputSerializer(StrategyInputSerializer):
    strategy_json = serializers.JSONField(required=False)


class StrategyValidateInputSerializer(serializers.Serializer):
    strategy_json = serializers.JSONField()
    symbol = serializers.CharField(max_length=30, required=False)
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
