from django.urls import reverse
from rest_framework import serializers

from apps.core.api.fields import MoneyField
from apps.core.api.serializers import InputSerializer
from apps.deskbt.models import DeskBacktest
from apps.deskbt.selectors import AUDIT_MAX_PAGE_SIZE, AUDIT_PAGE_SIZE
from apps.motherai.deskparams import desk_serializer_fields
from engine.desk import DEFAULTS
from engine.desk.report import SWEEP_MAX_VALUES, SWEEP_PARAMS


class DeskBacktestCreateInputSerializer(InputSerializer):
    agents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=50,
        help_text="ids of your agents; each runs its current strategy version and model",
    )
    start = serializers.DateTimeField(help_text="the window's first candle open time (UTC)")
    end = serializers.DateTimeField()
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")

    def get_fields(self):
        # Every desk parameter (engine.desk.DEFAULTS), with its default and range.
        return {**super().get_fields(), **desk_serializer_fields()}

    def validate(self, attrs):
        if not attrs["agents"]:
            raise serializers.ValidationError({"agents": "choose at least one agent"})
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "must be after start"})
        if "alpha" in self.initial_data and "beta" not in self.initial_data:
            attrs["beta"] = round(1.0 - attrs["alpha"], 12)
        attrs["agent_ids"] = attrs.pop("agents")
        return attrs


class DeskSweepCreateInputSerializer(DeskBacktestCreateInputSerializer):
    grid = serializers.DictField(
        child=serializers.ListField(
            child=serializers.FloatField(), allow_empty=False, max_length=SWEEP_MAX_VALUES
        ),
        help_text=f"desk parameter -> values, of {', '.join(SWEEP_PARAMS)}; beta follows "
        'alpha (1 - alpha). E.g. {"alpha": [0.4, 0.6, 0.8], "top_n": [1, 3]}',
    )


class DeskAuditQuerySerializer(InputSerializer):
    taken = serializers.BooleanField(
        required=False, default=False, help_text="1: only the taken actions"
    )
    agent = serializers.IntegerField(required=False, min_value=1, help_text="one agent's id")
    start = serializers.DateTimeField(required=False, help_text="decided at or after (UTC)")
    end = serializers.DateTimeField(required=False, help_text="decided at or before (UTC)")
    page = serializers.IntegerField(required=False, default=1, min_value=1)
    page_size = serializers.IntegerField(
        required=False, default=AUDIT_PAGE_SIZE, min_value=1, max_value=AUDIT_MAX_PAGE_SIZE
    )


class PinnedAgentSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    name = serializers.CharField()
    symbol = serializers.CharField()
    interval = serializers.CharField()
    strategy_id = serializers.IntegerField(allow_null=True)
    strategy_name = serializers.CharField()
    strategy_version = serializers.IntegerField()
    model_id = serializers.IntegerField(allow_null=True)


class DeskBacktestOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    agents = PinnedAgentSerializer(many=True)
    params = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = DeskBacktest
        fields = [
            "id",
            "url",
            "kind",
            "name",
            "status",
            "progress",
            "error",
            "attempts",
            "agents",
            "start",
            "end",
            "params",
            "grid",
            "metrics",
            "decision_times",
            "audit_rows",
            "trade_rows",
            "timings",
            "engine_version",
            "created_at",
            "started_at",
            "finished_at",
            "links",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:deskbt:detail", args=[obj.pk])

    def get_kind(self, obj) -> str:
        return "sweep" if obj.is_sweep else "backtest"

    def get_params(self, obj) -> dict[str, float]:
        return {name: getattr(obj, name) for name in DEFAULTS}

    def get_links(self, obj) -> dict[str, str]:
        return {
            name: reverse(f"api:deskbt:{name}", args=[obj.pk])
            for name in ("audit", "trades", "cancel")
        }


class CurveAgentSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    name = serializers.CharField()
    equity = serializers.ListField(child=serializers.FloatField(allow_null=True))


class CurvesSerializer(serializers.Serializer):
    """Chart data: times in epoch seconds UTC, equity as numbers."""

    time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(), help_text="epoch seconds"
    )
    desk = serializers.ListField(child=serializers.FloatField(allow_null=True))
    buy_and_hold = serializers.ListField(child=serializers.FloatField(allow_null=True))
    random_mean = serializers.ListField(child=serializers.FloatField(allow_null=True))
    random_p5 = serializers.ListField(child=serializers.FloatField(allow_null=True))
    random_p95 = serializers.ListField(child=serializers.FloatField(allow_null=True))
    agents = CurveAgentSerializer(many=True, help_text="each agent traded alone")

    def to_representation(self, instance):
        # Stored with epoch ms (the page's chart reads them so); the API speaks seconds.
        data = super().to_representation({**instance, "time_epoch_s": []})
        data["time_epoch_s"] = [t // 1000 for t in instance["t"]]
        return data


class SweepRowSerializer(serializers.Serializer):
    combo = serializers.IntegerField()
    params = serializers.DictField(child=serializers.FloatField())
    final_equity = serializers.FloatField()
    return_pct = serializers.FloatField()
    max_drawdown_pct = serializers.FloatField()
    closed_trades = serializers.IntegerField()
    decisions_taken = serializers.IntegerField()
    random_percentile = serializers.FloatField(allow_null=True)
    verdict = serializers.CharField(allow_null=True)


class DeskBacktestDetailOutputSerializer(DeskBacktestOutputSerializer):
    curves = CurvesSerializer(allow_null=True, help_text="downsampled for a chart")
    sweep_results = SweepRowSerializer(many=True, allow_null=True, help_text="best first")

    class Meta(DeskBacktestOutputSerializer.Meta):
        fields = [*DeskBacktestOutputSerializer.Meta.fields, "curves", "sweep_results"]


class AuditRowSerializer(serializers.Serializer):
    decided_at = serializers.DateTimeField(help_text="market time: the candle's close")
    candle_time = serializers.DateTimeField(help_text="the candle's open")
    agent_id = serializers.IntegerField()
    agent = serializers.CharField()
    symbol = serializers.CharField()
    action = serializers.CharField(help_text="buy or sell")
    confidence = serializers.FloatField()
    win_rate = serializers.FloatField(help_text="shrunk toward 0.5")
    score = serializers.FloatField()
    rank = serializers.IntegerField(allow_null=True, help_text="null: not executable")
    taken = serializers.BooleanField()
    status = serializers.CharField(help_text="taken, or why not")
    fill = serializers.CharField(allow_null=True, help_text="what became of a taken action")
    trade = serializers.IntegerField(allow_null=True, help_text="the trade it opened or closed")


class AuditPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = AuditRowSerializer(many=True)


class DeskTradeSerializer(serializers.Serializer):
    trade = serializers.IntegerField()
    agent_id = serializers.IntegerField()
    agent = serializers.CharField()
    symbol = serializers.CharField()
    entry_decided_at = serializers.DateTimeField()
    entry_filled_at = serializers.DateTimeField()
    entry_price = MoneyField()
    quantity = MoneyField(places=10)
    entry_fee = MoneyField()
    exit_decided_at = serializers.DateTimeField(allow_null=True)
    exit_filled_at = serializers.DateTimeField(allow_null=True)
    exit_price = MoneyField(allow_null=True)
    exit_fee = MoneyField(allow_null=True)
    pnl = MoneyField(allow_null=True, help_text="null while open")
    open = serializers.BooleanField(help_text="still held at the end, valued at the last close")
