from django import forms

from apps.motherai.deskparams import desk_form_fields
from engine.desk.report import SWEEP_PARAMS


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
        self.fields.update(desk_form_fields())
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
