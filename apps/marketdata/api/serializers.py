from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.validators import window_clean
from apps.marketdata.models import CandleImport
from apps.marketdata.services import SYMBOL_RE, symbol_name_clean
from engine.marketdata import INTERVALS


class SymbolField(serializers.CharField):
    """A market symbol as a client types it (any case; the services upper-case it). The
    pattern is SYMBOL_RE's, so the schema tells clients the rule before they ask."""

    PATTERN = SYMBOL_RE.pattern.replace("A-Z", "A-Za-z")

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(self.PATTERN, "use 2-30 letters, digits, '.', '_' or '-', e.g. BTCUSDT")
        )


def _symbol_field_validate(value: str) -> str:
    from django.core.exceptions import ValidationError

    try:
        return symbol_name_clean(value)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.message_dict["symbol"]) from None


class CoverageOutputSerializer(serializers.Serializer):
    interval = serializers.CharField()
    first = serializers.DateTimeField()
    last = serializers.DateTimeField()
    count = serializers.IntegerField()
    missing = serializers.IntegerField()
    gap_count = serializers.IntegerField()
    gaps = serializers.ListField(child=serializers.DictField())


class SymbolOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    base_asset = serializers.CharField()
    quote_asset = serializers.CharField()
    exchange = serializers.CharField()
    asset_class = serializers.CharField()
    coverage = CoverageOutputSerializer(many=True)


class CandlesQuerySerializer(InputSerializer):
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1)
    indicators = serializers.CharField(
        required=False,
        max_length=200,
        help_text="e.g. rsi:14,ema:20,macd:12:26:9 (values aligned with t; null during warm-up)",
    )

    def validate_symbol(self, value: str) -> str:
        return _symbol_field_validate(value)

    def validate_indicators(self, value: str):
        from engine.indicators import parse_spec

        try:
            return parse_spec(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_limit(self, value: int) -> int:
        cap = settings.MARKETDATA_CANDLES_MAX_POINTS
        if value > cap:
            raise serializers.ValidationError(f"at most {cap} candles per request")
        return value

    def validate(self, attrs):
        window_clean(attrs.get("start"), attrs.get("end"))
        return attrs


class CandlesOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    interval = serializers.CharField()
    resampled_from = serializers.CharField(
        allow_null=True,
        help_text="the stored interval these bars were built from when the symbol has no "
        "candles of `interval` (complete bars only); null when read as stored",
    )
    count = serializers.IntegerField()
    truncated = serializers.BooleanField(
        help_text="more candles exist in the range; the latest were returned"
    )
    precision = serializers.IntegerField(help_text="decimals the symbol's prices are quoted to")
    time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="open times in epoch seconds UTC (chart data, as lightweight-charts takes them)",
    )
    o = serializers.ListField(child=serializers.FloatField())
    h = serializers.ListField(child=serializers.FloatField())
    l = serializers.ListField(child=serializers.FloatField())  # noqa: E741 - the compact field name
    c = serializers.ListField(child=serializers.FloatField())
    v = serializers.ListField(child=serializers.FloatField())
    indicators = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)), required=False
    )


class CandleImportInputSerializer(InputSerializer):
    file = serializers.FileField()
    symbol = SymbolField()
    interval = serializers.ChoiceField(choices=INTERVALS, required=False, allow_blank=True)

    def validate_symbol(self, value: str) -> str:
        return _symbol_field_validate(value)

    def validate_file(self, value):
        cap = settings.MARKETDATA_UPLOAD_MAX_BYTES
        if value.size > cap:
            raise serializers.ValidationError(
                f"the file is {value.size} bytes; the limit is {cap} bytes"
            )
        if value.size == 0:
            raise serializers.ValidationError("the file is empty")
        return value


class CandleImportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(allow_null=True, help_text="this import's endpoint, to poll")
    status = serializers.ChoiceField(choices=CandleImport.Status.choices)
    progress = serializers.FloatField(help_text="0-100")
    stage = serializers.CharField(
        allow_null=True, help_text="what a running import is doing: reading or storing"
    )
    error = serializers.CharField(allow_null=True)
    symbol = serializers.CharField()
    interval = serializers.CharField(allow_null=True)
    filename = serializers.CharField()
    file_size = serializers.IntegerField()
    sha256 = serializers.CharField()
    layout = serializers.CharField(allow_null=True)
    timestamp_units = serializers.ListField(child=serializers.CharField())
    rows_total = serializers.IntegerField()
    rows_inserted = serializers.IntegerField()
    rows_present = serializers.IntegerField()
    rows_conflicting = serializers.IntegerField()
    rows_rejected = serializers.IntegerField()
    rows_duplicate_in_file = serializers.IntegerField()
    rejections = serializers.ListField(child=serializers.DictField())
    gap_count = serializers.IntegerField()
    gaps = serializers.ListField(child=serializers.DictField())
    first_time = serializers.CharField(allow_null=True)
    last_time = serializers.CharField(allow_null=True)
    duration_ms = serializers.IntegerField()
    created_at = serializers.CharField(allow_null=True)
    started_at = serializers.CharField(allow_null=True)
    finished_at = serializers.CharField(allow_null=True)
