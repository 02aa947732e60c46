from django.urls import reverse
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.validators import validate_name
from apps.marketdata.api.serializers import SymbolField
from apps.ml.models import TrainedModel
from engine.marketdata import INTERVALS
from engine.ml import ESTIMATORS


class ModelTrainInputSerializer(InputSerializer):
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS)
    start = serializers.DateTimeField(required=False, allow_null=True)
    end = serializers.DateTimeField(required=False, allow_null=True)
    estimator = serializers.ChoiceField(choices=list(ESTIMATORS), default="random_forest")
    params = serializers.DictField(
        required=False, help_text='estimator parameters, e.g. {"n_estimators": 200}'
    )
    seed = serializers.IntegerField(default=42, min_value=0, max_value=2**31 - 1)
    test_fraction = serializers.FloatField(default=0.2, min_value=0.05, max_value=0.5)
    walk_forward_folds = serializers.IntegerField(default=0, min_value=0, max_value=20)
    walk_forward_mode = serializers.ChoiceField(
        choices=["expanding", "rolling"], default="expanding"
    )
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, validators=[validate_name]
    )


class ModelPredictInputSerializer(InputSerializer):
    at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="predict for the candle at or before this time"
    )


class ModelOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    label = serializers.CharField(read_only=True)

    class Meta:
        model = TrainedModel
        fields = [
            "id",
            "url",
            "label",
            "name",
            "symbol",
            "interval",
            "start",
            "end",
            "estimator",
            "params",
            "seed",
            "test_fraction",
            "walk_forward_folds",
            "walk_forward_mode",
            "status",
            "progress",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "features",
            "metrics",
            "baseline_accuracy",
            "beats_baseline",
            "importances",
            "folds",
            "candles_count",
            "data_first",
            "data_last",
            "train_window",
            "test_window",
            "train_rows",
            "test_rows",
            "fit_seconds",
            "peak_memory_mb",
            "sha256",
            "engine_version",
            "usable",
            "unusable_reason",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:ml:model", args=[obj.pk])


class ModelPredictOutputSerializer(serializers.Serializer):
    model_id = serializers.IntegerField()
    symbol = serializers.CharField()
    interval = serializers.CharField()
    candle_time = serializers.CharField()
    probability_up = serializers.FloatField()
    prediction = serializers.CharField()
    held_out_accuracy = serializers.FloatField(allow_null=True)
    baseline_accuracy = serializers.FloatField(allow_null=True)
    beats_baseline = serializers.BooleanField(allow_null=True)


class ModelUnusableOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    usable = serializers.BooleanField()
