import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.backtests.models import BacktestRun, Fill, Sweep
from apps.backtests.selectors import (
    DEFAULT_ORDERING,
    MAX_COMPARE,
    MIN_COMPARE,
    ORDERINGS,
    equity_pct,
)
from apps.core.api.fields import MoneyField, RoundedFloatField, metric_field, metrics_serializer
from apps.core.api.serializers import InputSerializer
from apps.core.jobs import JobStatus
from apps.core.validators import window_clean
from apps.marketdata.api.serializers import CandlesOutputSerializer, SymbolField
from apps.portfolio.api.serializers import StrategyHealthSerializer
from apps.strategies.api.serializers import StrategyJSONField, StrategyRefField
from apps.strategies.selectors import strategy_get
from engine.backtest import BOUNDS, DEFAULTS, PARAMS, config_from_params
from engine.backtest.metrics import METRIC_KEYS
from engine.backtest.sweep import (
    DEFAULT_IN_SAMPLE_PCT,
    DEFAULT_METRIC,
    IN_SAMPLE_PCT,
    MAX_VALUES,
    SWEEP_METRICS,
    WALK_FORWARD_WINDOWS,
)
from engine.marketdata import INTERVALS


def _param(name: str, **kwargs) -> serializers.FloatField:
    """An engine parameter with BacktestConfig's range (an open end as its closed input)."""
    bound = BOUNDS[name]
    return serializers.FloatField(min_value=bound.input_min, max_value=bound.input_max, **kwargs)


class BacktestParamsSerializer(InputSerializer):
    """The run's window and strategy, and the engine parameters handed to the service as one
    ``config`` (a BacktestConfig)."""

    symbol = SymbolField(required=False, help_text="default: the strategy's symbol")
    interval = serializers.ChoiceField(
        choices=INTERVALS, required=False, help_text="default: the strategy's timeframe"
    )
    start = serializers.DateTimeField(required=False, allow_null=True)
    end = serializers.DateTimeField(required=False, allow_null=True)
    initial_balance = _param("initial_balance", default=DEFAULTS["initial_balance"])
    fee_rate = _param("fee_rate", default=DEFAULTS["fee_rate"])
    slippage_bps = _param("slippage_bps", default=DEFAULTS["slippage_bps"])
    fill = serializers.ChoiceField(choices=Fill.choices, default=DEFAULTS["fill"])
    allow_short = serializers.BooleanField(default=DEFAULTS["allow_short"])
    position_size_pct = _param("position_size_pct", required=False, allow_null=True)
    stop_loss_pct = _param("stop_loss_pct", required=False, allow_null=True)
    take_profit_pct = _param("take_profit_pct", required=False, allow_null=True)
    strategy = StrategyRefField(
        required=False, help_text="a saved strategy: id or BTCUSDT_strategy_3"
    )
    strategy_json = StrategyJSONField(required=False, help_text="or an inline strategy")

    def validate(self, attrs):
        if ("strategy" in attrs) == ("strategy_json" in attrs):
            raise serializers.ValidationError(
                {"strategy": "give either strategy (a saved one) or strategy_json"}
            )
        window_clean(attrs.get("start"), attrs.get("end"))
        config = config_from_params(attrs)
        return {**{k: v for k, v in attrs.items() if k not in PARAMS}, "config": config}


class BacktestCreateInputSerializer(BacktestParamsSerializer):
    pass


class SweepCreateInputSerializer(BacktestParamsSerializer):
    grid = serializers.DictField(
        child=serializers.ListField(
            child=serializers.FloatField(), allow_empty=False, max_length=MAX_VALUES
        ),
        help_text="a named parameter of the strategy (declared in its params) or a path in its "
        "JSON (entry_conditions[0].params.period or entry_conditions.0.params.period) -> values, "
        'e.g. {"slow": [20, 26, 30]} or {"indicators.rsi.period": [7, 14, 21]}',
    )
    metric = serializers.ChoiceField(choices=SWEEP_METRICS, default=DEFAULT_METRIC)
    walk_forward_windows = serializers.IntegerField(
        default=0, min_value=WALK_FORWARD_WINDOWS.low, max_value=WALK_FORWARD_WINDOWS.high
    )
    walk_forward_in_sample_pct = serializers.FloatField(
        default=DEFAULT_IN_SAMPLE_PCT, min_value=IN_SAMPLE_PCT.low, max_value=IN_SAMPLE_PCT.high
    )

    def validate_grid(self, grid: dict[str, list[float]]) -> dict[str, list[int | float]]:
        # JSON's 14 arrives as 14.0 through FloatField; a period must stay a whole number.
        return {
            path: [int(x) if float(x).is_integer() else x for x in values]
            for path, values in grid.items()
        }


class BacktestListQuerySerializer(InputSerializer):
    """The runs list's filters and sort (the API's query and the list page's form). Give
    the serializer ``context={"owner": user}``: ``strategy`` must be one of theirs."""

    symbol = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="only this symbol (any case)"
    )
    status = serializers.ChoiceField(
        choices=JobStatus.choices,
        required=False,
        allow_blank=True,
        help_text="only runs in this status (empty: all)",
    )
    strategy = StrategyRefField(
        required=False, help_text="only runs of this saved strategy: id or BTCUSDT_strategy_3"
    )
    created_from = serializers.DateField(
        required=False, help_text="submitted on or after this day (UTC), YYYY-MM-DD"
    )
    created_to = serializers.DateField(
        required=False, help_text="submitted on or before this day (UTC), YYYY-MM-DD"
    )
    return_min = serializers.FloatField(required=False, help_text="total return % at least")
    return_max = serializers.FloatField(required=False, help_text="total return % at most")
    sharpe_min = serializers.FloatField(required=False, help_text="Sharpe ratio at least")
    sharpe_max = serializers.FloatField(required=False, help_text="Sharpe ratio at most")
    drawdown_max = serializers.FloatField(
        required=False, min_value=0, help_text="max drawdown % at most (a positive number)"
    )
    ordering = serializers.ChoiceField(
        choices=ORDERINGS,
        default=DEFAULT_ORDERING,
        help_text="sort key, `-` for descending; runs without the metric come last",
    )

    def validate_strategy(self, ref):
        strategy = strategy_get(owner=self.context["owner"], ref=ref)
        if strategy is None:
            raise serializers.ValidationError("no such strategy among yours")
        return strategy

    def validate(self, attrs):
        errors = {}
        for low, high in (
            ("created_from", "created_to"),
            ("return_min", "return_max"),
            ("sharpe_min", "sharpe_max"),
        ):
            if low in attrs and high in attrs and attrs[low] > attrs[high]:
                errors[high] = [f"must not be below {low}"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CompareQuerySerializer(InputSerializer):
    runs = serializers.CharField(
        help_text=f"{MIN_COMPARE} to {MAX_COMPARE} of your run ids, comma-separated: 1,2,3"
    )

    def validate_runs(self, text: str) -> list[int]:
        ids = []
        for part in text.split(","):
            part = part.strip()
            if not re.fullmatch(r"[1-9][0-9]{0,17}", part):
                raise serializers.ValidationError(f'"{part}" is not a run id')
            if int(part) not in ids:
                ids.append(int(part))
        if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
            raise serializers.ValidationError(
                f"pick {MIN_COMPARE} to {MAX_COMPARE} different runs (got {len(ids)})"
            )
        return ids


BacktestMetricsSerializer = metrics_serializer("BacktestMetrics", METRIC_KEYS)


class BacktestAssumptionsSerializer(serializers.Serializer):
    """How the engine simulated the run (engine.backtest.run), as stored with it."""

    fill = serializers.ChoiceField(choices=Fill.choices, required=False)
    fill_rule = serializers.CharField(required=False)
    fee_rate = serializers.FloatField(required=False, help_text="per fill, of the notional")
    fees = serializers.CharField(required=False)
    slippage_bps = serializers.FloatField(required=False)
    slippage = serializers.CharField(required=False)
    position_size_pct = serializers.FloatField(required=False)
    stop_loss_pct = serializers.FloatField(required=False, allow_null=True)
    take_profit_pct = serializers.FloatField(required=False, allow_null=True)
    stop_take_rule = serializers.CharField(required=False)
    allow_short = serializers.BooleanField(required=False)
    warmup_bars = serializers.IntegerField(required=False)
    end_of_data = serializers.CharField(required=False)
    buy_and_hold_basis = serializers.CharField(required=False)
    annualisation = serializers.CharField(required=False)
    window = serializers.ListField(
        child=serializers.DateTimeField(),
        required=False,
        help_text="the first and the last simulated candle",
    )
    candles = serializers.IntegerField(required=False)


class BacktestRunOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    strategy_id = serializers.IntegerField(allow_null=True)
    strategy_version = serializers.IntegerField(
        source="strategy_version.number", allow_null=True, default=None
    )
    initial_balance = MoneyField()
    metrics = BacktestMetricsSerializer(
        allow_null=True, read_only=True, help_text="null until the run succeeds"
    )
    assumptions = BacktestAssumptionsSerializer(allow_null=True, read_only=True)
    compute_seconds = serializers.SerializerMethodField(help_text="time in the engine")

    class Meta:
        model = BacktestRun
        fields = [
            "id",
            "url",
            "status",
            "progress",
            "error",
            "attempts",
            "strategy_id",
            "strategy_version",
            "strategy_name",
            "strategy_definition",
            "symbol",
            "interval",
            "start",
            "end",
            "initial_balance",
            "fee_rate",
            "slippage_bps",
            "fill",
            "allow_short",
            "position_size_pct",
            "stop_loss_pct",
            "take_profit_pct",
            "metrics",
            "assumptions",
            "candles_count",
            "first_candle",
            "last_candle",
            "engine_version",
            "compute_seconds",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:backtests:detail", args=[obj.pk])

    def get_compute_seconds(self, obj) -> float | None:
        return None if obj.compute_ms is None else obj.compute_ms / 1000


# A stored trade (apps/backtests/tradestore.StoredTrade): the fields, types and bounds
# the per-trade rows had (a PositiveIntegerField's range on SQLite).
_POSITIVE = {"min_value": 0, "max_value": 9223372036854775807}


class BacktestTradeOutputSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="run_id")
    seq = serializers.IntegerField(**_POSITIVE)
    symbol = serializers.CharField(source="run.symbol")
    side = serializers.CharField(max_length=5)
    entry_time = serializers.DateTimeField()
    exit_time = serializers.DateTimeField()
    entry_price = MoneyField()
    exit_price = MoneyField()
    quantity = MoneyField()
    entry_fee = MoneyField()
    exit_fee = MoneyField()
    pnl = MoneyField()
    return_pct = RoundedFloatField()
    bars_held = serializers.IntegerField(**_POSITIVE)
    exit_reason = serializers.CharField(max_length=20)


class EquityPointSerializer(serializers.Serializer):
    """One point of a run's (downsampled) equity curve, as the exports write it."""

    time = serializers.DateTimeField()
    equity = MoneyField()
    buy_and_hold = MoneyField(
        allow_null=True, help_text="the initial balance held in the asset from the first bar"
    )


class EquityPctPointSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    pct = serializers.FloatField(help_text="equity change in % from the run's first point")


class CompareRunSerializer(BacktestRunOutputSerializer):
    """A run in a comparison: what it ran on, its metrics and its equity in %."""

    equity_pct = serializers.SerializerMethodField()

    class Meta(BacktestRunOutputSerializer.Meta):
        fields = [
            "id",
            "url",
            "strategy_id",
            "strategy_version",
            "strategy_name",
            "symbol",
            "interval",
            "first_candle",
            "last_candle",
            "initial_balance",
            "metrics",
            "equity_pct",
        ]

    @extend_schema_field(EquityPctPointSerializer(many=True))
    def get_equity_pct(self, obj) -> list[dict]:
        return EquityPctPointSerializer(equity_pct(obj), many=True).data


class CompareOutputSerializer(serializers.Serializer):
    metrics = serializers.ListField(
        child=serializers.CharField(), help_text="the metric names the runs have, in order"
    )
    runs = CompareRunSerializer(many=True, help_text="in the order asked for")


EQUITY_COLUMNS = ["time_epoch_s", "equity", "buy_and_hold"]


class EquityOutputSerializer(serializers.Serializer):
    """Chart data for lightweight-charts: times in epoch seconds (UTC), amounts as numbers
    rounded to 8 decimals; the API's other answers use ISO 8601 times and decimal strings."""

    run = serializers.IntegerField()
    columns = serializers.ListField(
        child=serializers.ChoiceField(choices=EQUITY_COLUMNS), help_text="what each point holds"
    )
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="[time_epoch_s, equity, buy_and_hold (null before its first bar)]",
    )

    def to_representation(self, instance):
        return {
            "run": instance.pk,
            "columns": EQUITY_COLUMNS,
            "points": [
                [t // 1000, *(None if v is None else round(v, 8) for v in values)]
                for t, *values in instance.equity_curve or []
            ],
        }


def _floats(help_text: str = "", null: bool = False) -> serializers.ListField:
    return serializers.ListField(child=serializers.FloatField(allow_null=null), help_text=help_text)


class ChartIndicatorSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="the indicator as the strategy wrote it; one pane")
    label = serializers.CharField(help_text="this line of it")
    line = serializers.CharField(help_text="the line's name (value, signal, hist, upper, ...)")
    overlay = serializers.BooleanField(help_text="drawn over the price (else in its own pane)")
    values = _floats("one per candle, null during the warm-up", null=True)


class ChartLevelSerializer(serializers.Serializer):
    group = serializers.CharField()
    value = serializers.FloatField(help_text="a threshold the strategy compares it with")


class ChartTradesSerializer(serializers.Serializer):
    side = serializers.ListField(child=serializers.IntegerField(), help_text="1 long, -1 short")
    entry_time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(), help_text="epoch seconds UTC"
    )
    exit_time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(), help_text="epoch seconds UTC"
    )
    entry_price = _floats()
    exit_price = _floats()
    pnl = _floats()
    return_pct = _floats()
    exit_reason = serializers.ListField(child=serializers.CharField())


class ChartEquitySerializer(serializers.Serializer):
    time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(), help_text="epoch seconds UTC"
    )
    equity = _floats()
    buy_and_hold = _floats("the initial balance held in the asset", null=True)
    drawdown_pct = _floats("below the highest equity so far, <= 0")


class BacktestChartOutputSerializer(serializers.Serializer):
    """A run's chart as columns: one list per field, aligned by index."""

    run = serializers.IntegerField()
    symbol = serializers.CharField()
    interval = serializers.CharField()
    initial_balance = serializers.FloatField()
    candles = CandlesOutputSerializer(help_text="the run's whole window")
    indicators = ChartIndicatorSerializer(many=True)
    levels = ChartLevelSerializer(many=True)
    trades = ChartTradesSerializer()
    equity = ChartEquitySerializer(help_text="downsampled, keeping each stretch's low and high")


class WalkForwardEquitySerializer(serializers.Serializer):
    time_epoch_s = serializers.ListField(
        child=serializers.IntegerField(), help_text="epoch seconds UTC"
    )
    equity = _floats("the stitched out-of-sample equity", null=True)


class WalkForwardSerializer(serializers.Serializer):
    """A walk-forward sweep's windows, its stitched out-of-sample result and equity."""

    windows_report = serializers.ListField(
        child=serializers.DictField(),
        help_text="per window: window, in_sample_window, out_of_sample_window, params, "
        "in_sample_metric, out_of_sample (or error)",
    )
    stitched = serializers.DictField(
        help_text="initial_balance, final_balance, total_return_pct, trades, "
        "worst_window_drawdown_pct"
    )
    equity = WalkForwardEquitySerializer(help_text="the stitched out-of-sample equity curve")

    def to_representation(self, instance):
        points = instance.get("equity") or []
        equity = {
            "time_epoch_s": [int(t) // 1000 for t, _ in points],  # stored as epoch ms
            "equity": [v for _, v in points],
        }
        return super().to_representation({**instance, "equity": equity})


class SweepOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    walk_forward = WalkForwardSerializer(
        allow_null=True, read_only=True, help_text="null: a plain sweep"
    )

    class Meta:
        model = Sweep
        fields = [
            "id",
            "url",
            "status",
            "progress",
            "error",
            "attempts",
            "strategy_name",
            "symbol",
            "interval",
            "start",
            "end",
            "grid",
            "metric",
            "combinations",
            "completed",
            "walk_forward",
            "fee_rate",
            "slippage_bps",
            "fill",
            "created_at",
            "started_at",
            "finished_at",
            "results",
        ]

    def get_url(self, obj) -> str:
        return reverse("api:backtests:sweep", args=[obj.pk])

    def get_results(self, obj) -> list[dict]:
        if not self.context.get("with_results"):
            return []
        from apps.backtests.selectors import sweep_table

        return sweep_table(obj)


# A strategy's performance (apps/backtests/report.py): its backtests, paper trades, drift.


class BacktestSummarySerializer(serializers.Serializer):
    run = serializers.IntegerField()
    url = serializers.CharField(help_text="the run's detail endpoint")
    version = serializers.IntegerField(allow_null=True)
    symbol = serializers.CharField()
    interval = serializers.CharField()
    window = serializers.ListField(
        child=serializers.DateTimeField(allow_null=True), help_text="first and last candle"
    )
    total_return_pct = metric_field("total_return_pct")
    buy_and_hold_return_pct = metric_field("buy_and_hold_return_pct")
    max_drawdown_pct = metric_field("max_drawdown_pct")
    sharpe = metric_field("sharpe")
    win_rate_pct = metric_field("win_rate_pct")
    num_trades = metric_field("num_trades")


class BacktestsSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    latest = BacktestSummarySerializer(
        allow_null=True, help_text="the latest succeeded run of the current version"
    )
    runs = BacktestSummarySerializer(many=True, help_text="the 20 most recent")


class PaperSummarySerializer(serializers.Serializer):
    total_trades = serializers.IntegerField()
    win_rate = serializers.FloatField()
    avg_roi = serializers.FloatField()
    total_pnl = serializers.CharField()
    window = serializers.ListField(child=serializers.DateTimeField())
    health = StrategyHealthSerializer()


class RunBacktestBodySerializer(serializers.Serializer):
    strategy = serializers.IntegerField()
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class RunBacktestHintSerializer(serializers.Serializer):
    """The request that creates the missing backtest: the report itself never runs one."""

    detail = serializers.CharField()
    method = serializers.ChoiceField(choices=["POST"])
    url = serializers.CharField()
    body = RunBacktestBodySerializer()


class DriftSideSerializer(serializers.Serializer):
    num_trades = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    avg_trade_return_pct = serializers.FloatField(allow_null=True)


class DriftSerializer(serializers.Serializer):
    window = serializers.ListField(child=serializers.DateTimeField())
    run = serializers.IntegerField(
        required=False, help_text="the stored backtest whose trades in the window are compared"
    )
    backtest = DriftSideSerializer(required=False)
    paper = DriftSideSerializer(required=False)
    trade_count_difference = serializers.IntegerField(required=False)
    win_rate_difference = serializers.FloatField(required=False, allow_null=True)
    detail = serializers.CharField(
        required=False, help_text="why there is no backtest of the paper window"
    )
    run_backtest = RunBacktestHintSerializer(required=False)


class StrategyPerformanceOutputSerializer(serializers.Serializer):
    strategy_id = serializers.IntegerField()
    seed_id = serializers.CharField(help_text="the original id form, {symbol}_strategy_{id}")
    name = serializers.CharField()
    version = serializers.IntegerField()
    backtests = BacktestsSummarySerializer()
    run_backtest = RunBacktestHintSerializer(
        allow_null=True, help_text="null: the current version has a succeeded backtest"
    )
    paper = PaperSummarySerializer(allow_null=True, help_text="null: no paper trades yet")
    drift = DriftSerializer(allow_null=True)
