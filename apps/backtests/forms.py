from django import forms

from engine.backtest import FILLS
from engine.marketdata import INTERVALS


class BacktestForm(forms.Form):
    strategy = forms.ChoiceField(choices=[])
    symbol = forms.CharField(
        max_length=30, required=False, help_text="empty: the strategy's symbol"
    )
    interval = forms.ChoiceField(
        choices=[("", "the strategy's timeframe")] + [(i, i) for i in INTERVALS], required=False
    )
    start = forms.DateTimeField(required=False, help_text="UTC, e.g. 2021-01-01 00:00")
    end = forms.DateTimeField(required=False)
    initial_balance = forms.FloatField(initial=10_000, min_value=0.01)
    fee_rate = forms.FloatField(
        initial=0.001, min_value=0, max_value=0.0999, help_text="per side, 0.001 = 0.1%"
    )
    slippage_bps = forms.FloatField(initial=0, min_value=0, max_value=1000)
    fill = forms.ChoiceField(choices=[(f, f) for f in FILLS], initial="next_open")
    allow_short = forms.BooleanField(required=False)
    stop_loss_pct = forms.FloatField(
        required=False, min_value=0.0001, max_value=99.9999, help_text="empty: the strategy's"
    )
    take_profit_pct = forms.FloatField(required=False, min_value=0.0001, max_value=10000)
    position_size_pct = forms.FloatField(required=False, min_value=0.0001, max_value=100)

    def __init__(self, *args, strategies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = [
            (s.pk, f"{s.name} ({s.symbol} {s.timeframe}, v{s.version})") for s in strategies
        ]


class SweepForm(BacktestForm):
    grid = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        initial='{"indicators.rsi.period": [7, 10, 14, 21], "indicators.rsi.buy_below": [20, 25, 30, 35]}',
        help_text="JSON: a path in the strategy JSON -> the values to try",
    )
    metric = forms.ChoiceField(choices=[])
    walk_forward_windows = forms.IntegerField(
        initial=0, min_value=0, max_value=20, help_text="0: a plain sweep"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from engine.backtest.sweep import SWEEP_METRICS

        self.fields["metric"].choices = [(m, m) for m in SWEEP_METRICS]
