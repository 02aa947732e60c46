from django import forms

from apps.core.formatting import metric_label
from engine.backtest import BOUNDS, DEFAULTS, FILLS, config_from_params
from engine.backtest.sweep import SWEEP_METRICS, WALK_FORWARD_WINDOWS
from engine.marketdata import INTERVALS


def _param(name: str, **kwargs) -> forms.FloatField:
    """An engine parameter with BacktestConfig's range (an open end as its closed input)."""
    bound = BOUNDS[name]
    if isinstance(kwargs.get("initial"), float) and kwargs["initial"].is_integer():
        kwargs["initial"] = int(kwargs["initial"])  # the page shows 10000, not 10000.0
    return forms.FloatField(min_value=bound.input_min, max_value=bound.input_max, **kwargs)


class BacktestForm(forms.Form):
    """A run's strategy and window; its engine parameters reach the service as one
    ``config`` (``cleaned_data["config"]``, a BacktestConfig)."""

    strategy = forms.ChoiceField(choices=[])
    symbol = forms.CharField(
        max_length=30, required=False, help_text="empty: the strategy's symbol"
    )
    interval = forms.ChoiceField(
        choices=[("", "the strategy's timeframe")] + [(i, i) for i in INTERVALS], required=False
    )
    start = forms.DateTimeField(required=False, help_text="UTC, e.g. 2021-01-01 00:00")
    end = forms.DateTimeField(required=False)
    initial_balance = _param("initial_balance", initial=DEFAULTS["initial_balance"])
    fee_rate = _param("fee_rate", initial=DEFAULTS["fee_rate"], help_text="per side, 0.001 = 0.1%")
    slippage_bps = _param("slippage_bps", initial=DEFAULTS["slippage_bps"])
    fill = forms.ChoiceField(choices=[(f, f) for f in FILLS], initial=DEFAULTS["fill"])
    allow_short = forms.BooleanField(required=False, initial=DEFAULTS["allow_short"])
    stop_loss_pct = _param("stop_loss_pct", required=False, help_text="empty: the strategy's")
    take_profit_pct = _param("take_profit_pct", required=False)
    position_size_pct = _param("position_size_pct", required=False)

    def __init__(self, *args, strategies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = [
            (s.pk, f"{s.name} ({s.symbol} {s.timeframe}, v{s.version})") for s in strategies
        ]

    def clean(self):
        data = super().clean()
        data["config"] = config_from_params(data)
        return data


class SweepForm(BacktestForm):
    grid = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="JSON: a parameter name or a path in the strategy JSON -> the values to try, "
        'e.g. {"slow": [20, 26, 30]} or {"entry_conditions.0.params.period": [7, 14, 21]}',
    )
    metric = forms.ChoiceField(choices=[(m, metric_label(m)) for m in SWEEP_METRICS])
    walk_forward_windows = forms.IntegerField(
        initial=0,
        min_value=WALK_FORWARD_WINDOWS.low,
        max_value=WALK_FORWARD_WINDOWS.high,
        help_text="0: a plain sweep",
    )
