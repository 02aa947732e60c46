from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.motherai.models import Decision


class DecisionQuerySerializer(InputSerializer):
    top_n = serializers.IntegerField(default=3, min_value=1, max_value=50)
    min_score = serializers.FloatField(default=0.75, min_value=0.0, max_value=1.0)
    alpha = serializers.FloatField(default=0.6, min_value=0.0, max_value=1.0)
    beta = serializers.FloatField(default=0.4, min_value=0.0, max_value=1.0)
    portfolio = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="the paper portfolio whose positions decide what is executable and where "
        "the orders go (default: your default portfolio)",
    )

    def validate(self, attrs):
        if abs(attrs["alpha"] + attrs["beta"] - 1.0) > 1e-9:
            raise serializers.ValidationError({"alpha": "alpha and beta must add up to 1"})
        return attrs


class DecisionInputSerializer(DecisionQuerySerializer):
    execute = serializers.BooleanField(
        default=False, help_text="place the chosen orders in the paper portfolio"
    )


class DecisionOutputSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="null for a GET preview (nothing stored)"
    )
    stored = serializers.SerializerMethodField(
        help_text="false for a GET preview (nothing stored, id null)"
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "stored",
            "created_at",
            "market_time",
            "portfolio",
            "alpha",
            "beta",
            "prior_trades",
            "top_n",
            "min_score",
            "chosen",
            "candidates",
            "trigger",
            "executed",
            "executed_at",
        ]

    def get_stored(self, obj) -> bool:
        return obj.pk is not None
