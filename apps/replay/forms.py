from django import forms

from apps.agents.selectors import agent_list
from engine.desk import DEFAULTS


class ReplayForm(forms.Form):
    """The "New replay" form; the service checks the values (engine bounds)."""

    name = forms.CharField(max_length=60, required=False)
    agents = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    start = forms.DateTimeField(help_text="UTC, e.g. 2025-09-01 00:00")
    end = forms.DateTimeField(help_text="UTC")
    bars_per_step = forms.IntegerField(initial=1, min_value=1)
    step_seconds = forms.FloatField(initial=2.0)
    top_n = forms.IntegerField(initial=DEFAULTS["top_n"])
    min_score = forms.FloatField(initial=DEFAULTS["min_score"])
    alpha = forms.FloatField(initial=DEFAULTS["alpha"])
    beta = forms.FloatField(initial=DEFAULTS["beta"])
    prior_trades = forms.IntegerField(initial=DEFAULTS["prior_trades"])
    buy_fraction = forms.FloatField(initial=DEFAULTS["buy_fraction"])
    fee_rate = forms.FloatField(initial=DEFAULTS["fee_rate"])
    slippage_bps = forms.FloatField(initial=DEFAULTS["slippage_bps"])
    initial_balance = forms.FloatField(initial=DEFAULTS["initial_balance"])
    start_now = forms.BooleanField(required=False, initial=True, label="Start the clock now")

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agent_list(owner=owner)
