from django import forms

from apps.core.validators import validate_name
from engine.marketdata import INTERVALS
from engine.ml import ESTIMATORS


class TrainForm(forms.Form):
    symbol = forms.CharField(max_length=30)
    interval = forms.ChoiceField(choices=[(i, i) for i in INTERVALS], initial="1h")
    start = forms.DateTimeField(
        required=False, help_text="UTC, e.g. 2021-01-01 00:00; empty: from the first candle"
    )
    end = forms.DateTimeField(required=False, help_text="empty: up to the last candle")
    estimator = forms.ChoiceField(choices=[(e, e.replace("_", " ")) for e in ESTIMATORS])
    n_estimators = forms.IntegerField(
        required=False, min_value=1, max_value=2000, help_text="trees (forest/boosting)"
    )
    seed = forms.IntegerField(initial=42, min_value=0)
    walk_forward_folds = forms.IntegerField(initial=0, min_value=0, max_value=20)
    name = forms.CharField(max_length=120, required=False, validators=[validate_name])
