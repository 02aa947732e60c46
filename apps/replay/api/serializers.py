from rest_framework import serializers

from apps.core.api.fields import MoneyField
from apps.core.api.serializers import InputSerializer
from apps.motherai.deskparams import REPLAY_PARAMS, desk_serializer_fields
from apps.replay.models import ReplaySession


class ReplayCreateInputSerializer(InputSerializer):
    """A new session; the desk's parameters are checked by the engine's bounds
    (engine.desk.BOUNDS), each error naming its field."""

    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    agents = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of your agents", allow_empty=True
    )
    start = serializers.DateTimeField(help_text="first candle open time of the window")
    end = serializers.DateTimeField(help_text="last candle open time of the window")
    bars_per_step = serializers.IntegerField(default=1, help_text="decision times per step")
    step_seconds = serializers.FloatField(default=2.0, help_text="wall seconds between steps")
    start_now = serializers.BooleanField(default=False, help_text="start the clock at once")

    def get_fields(self):
        # The desk's parameters but the random seeds, with their defaults and ranges.
        return {**super().get_fields(), **desk_serializer_fields(REPLAY_PARAMS)}


class ReplaySessionOutputSerializer(serializers.ModelSerializer):
    agents = serializers.SerializerMethodField()

    class Meta:
        model = ReplaySession
        fields = [
            "id",
            "name",
            "status",
            "start",
            "end",
            "clock",
            "bars_per_step",
            "step_seconds",
            "steps_done",
            "times_total",
            "params",
            "portfolio",
            "note",
            "agents",
            "created_at",
        ]

    def get_agents(self, obj) -> list[dict]:
        return [
            {"agent_id": a.agent_id, "name": a.name, "symbol": a.symbol, "interval": a.interval}
            for a in obj.agents.all()
        ]


class ReplayLiveOutputSerializer(serializers.Serializer):
    """The session page's poll: see apps.replay.selectors.session_live."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    clock = serializers.CharField(allow_null=True, help_text="ISO 8601 UTC market time")
    start = serializers.CharField(allow_null=True)
    end = serializers.CharField(allow_null=True)
    steps_done = serializers.IntegerField()
    times_total = serializers.IntegerField()
    progress = serializers.FloatField()
    bars_per_step = serializers.IntegerField()
    step_seconds = serializers.FloatField()
    note = serializers.CharField(allow_blank=True)
    equity = MoneyField(allow_null=True)
    cash = MoneyField(allow_null=True)
    return_pct = serializers.FloatField(allow_null=True)
    curve = serializers.ListField(
        child=serializers.DictField(),
        help_text="chart data: {seq, time_epoch_s, equity (a number)} after `since`",
    )
    decisions = serializers.ListField(child=serializers.DictField())
    fills = serializers.ListField(child=serializers.DictField())
    positions = serializers.ListField(child=serializers.DictField())
    agents = serializers.ListField(child=serializers.DictField())


class ReplayStepOutputSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    market_time = serializers.DateTimeField()
    cash = MoneyField()
    equity = MoneyField()
    candidates = serializers.ListField(child=serializers.DictField())
