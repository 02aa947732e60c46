import json

from django import forms

from apps.core.jsonsafe import JSONLimitError, json_loads
from apps.core.validators import validate_name
from engine.marketdata import INTERVALS


class StrategyForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        required=False,
        help_text="defaults to the JSON's strategy_name",
        validators=[validate_name],
    )
    strategy_json = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}), label="Strategy JSON"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    timeframe = forms.ChoiceField(
        choices=[("", "from the JSON (default 1h)")] + [(i, i) for i in INTERVALS], required=False
    )

    def clean_strategy_json(self):
        text = self.cleaned_data["strategy_json"]
        try:
            value = json_loads(text)
        except JSONLimitError as exc:
            raise forms.ValidationError(str(exc)) from None
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object")
        return value
