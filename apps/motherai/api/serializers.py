from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.motherai.models import Decision


class DecisionQuerySerializer(InputSerializer):
    top_n = serializers.IntegerField(default=3, min_value=1, max_value=50)
    min_score = serializers.FloatField(default=0.75, min_value=0.0, max_value=1.0)
    alpha = serializers.FloatField(default=0.6, min_value=0.0, max_value=1.0)
    beta = serializers.FloatField(default=0.4, min_value=0.0, max_value=1.0)

    def validate(self, attrs):
        if abs(attrs["alpha"] + attrs["beta"] - 1.0) > 1e-9:
            raise serializers.ValidationError({"alpha": "alpha and beta must add up to 1"})
        return attrs


class DecisionInputSerializer(DecisionQuerySerializer):
    execute = serializers.BooleanField(
        default=False, help_text="place the chosen orders in your paper portfolio"
    )


class DecisionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id",
            "created_at",
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
