from django import forms

from engine.desk import BOUNDS, DEFAULTS
from engine.desk.backtest import WHOLE
from engine.desk.report import SWEEP_PARAMS


def _param(name: str) -> forms.Field:
    """A desk parameter with engine.desk's default and range."""
    bound = BOUNDS[name]
    initial = DEFAULTS[name]
    if name in WHOLE:
        return forms.IntegerField(
            min_value=int(bound.input_min), max_value=int(bound.input_max), initial=initial
        )
    if isinstance(initial, float) and initial.is_integer():
        initial = int(initial)  # the page shows 10000, not 10000.0
    return forms.FloatField(min_value=bound.input_min, max_value=bound.input_max, initial=initial)


class DeskBacktestForm(forms.Form):
    """A desk backtest's agents, window and parameters; with a grid, a sweep."""

    agents = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)
    start = forms.DateTimeField(help_text="UTC, e.g. 2021-01-01 00:00")
    end = forms.DateTimeField()
    name = forms.CharField(max_length=120, required=False)
    grid = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=f"optional, a sweep: JSON, one of {', '.join(SWEEP_PARAMS)} -> values, "
        'e.g. {"alpha": [0.4, 0.6, 0.8], "top_n": [1, 3]} (beta follows alpha)',
    )

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Every desk parameter (engine.desk.DEFAULTS) with its default and range, before
        # the grid.
        grid = self.fields.pop("grid")
        self.fields.update({name: _param(name) for name in DEFAULTS})
        self.fields["grid"] = grid
        self.fields["agents"].choices = [
            (a.pk, f"{a.name} ({a.symbol} {a.interval}{', model' if a.model_id else ''})")
            for a in agents
        ]

    def clean_agents(self) -> list[int]:
        return [int(a) for a in self.cleaned_data["agents"]]


class AuditFilterForm(forms.Form):
    """The result page's audit filter (GET): taken only, one agent, a range of decision times."""

    taken = forms.BooleanField(required=False, label="taken only")
    agent = forms.TypedChoiceField(choices=[], required=False, coerce=int, empty_value=None)
    start = forms.DateTimeField(required=False, label="from (UTC)")
    end = forms.DateTimeField(required=False, label="to (UTC)")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "all agents")] + [
            (a["agent_id"], f"{a['name']} ({a['symbol']})") for a in agents
        ]
