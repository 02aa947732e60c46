from django.urls import reverse
from rest_framework import serializers

from apps.binance.models import KlineSync, SyncSchedule
from apps.binance.services import SCHEDULE_MAX_MINUTES
from apps.core.api.serializers import InputSerializer
from apps.marketdata.api.serializers import SymbolField
from engine.marketdata import INTERVALS


class ConnectInputSerializer(InputSerializer):
    apiKey = serializers.CharField(max_length=128, trim_whitespace=True)  # noqa: N815 - the original field names
    secretKey = serializers.CharField(max_length=128, trim_whitespace=True, write_only=True)  # noqa: N815


class StatusOutputSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    key_hint = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    validated_at = serializers.DateTimeField(allow_null=True)
    permissions = serializers.DictField(allow_null=True)


class OhlcvQuerySerializer(InputSerializer):
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS, default="1m")
    limit = serializers.IntegerField(default=100, min_value=1, max_value=1000)


class SyncInputSerializer(InputSerializer):
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True)


class SyncOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = KlineSync
        fields = [
            "id",
            "url",
            "symbol",
            "interval",
            "start",
            "end",
            "status",
            "progress",
            "error",
            "attempts",
            "pages",
            "candles_inserted",
            "candles_present",
            "last_open_time",
            "waits",
            "created_at",
            "finished_at",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:binance:sync", args=[obj.pk])


class ScheduleInputSerializer(InputSerializer):
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS)
    start = serializers.DateTimeField()
    every_minutes = serializers.IntegerField(
        default=60, min_value=1, max_value=SCHEDULE_MAX_MINUTES
    )
    enabled = serializers.BooleanField(default=True)


class ScheduleUpdateSerializer(InputSerializer):
    start = serializers.DateTimeField(required=False)
    every_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=SCHEDULE_MAX_MINUTES
    )
    enabled = serializers.BooleanField(required=False)


class ScheduleOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SyncSchedule
        fields = [
            "id",
            "url",
            "symbol",
            "interval",
            "start",
            "every_minutes",
            "enabled",
            "last_run_at",
            "last_sync",
            "created_at",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:binance:schedule", args=[obj.pk])
