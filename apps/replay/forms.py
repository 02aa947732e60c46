from django import forms

from apps.agents.selectors import agent_list
from apps.motherai.deskparams import REPLAY_PARAMS, desk_form_fields


class ReplayForm(forms.Form):
    """The "New replay" form; the service checks the values (engine bounds)."""

    name = forms.CharField(max_length=60, required=False)
    agents = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    start = forms.DateTimeField(help_text="UTC, e.g. 2025-09-01 00:00")
    end = forms.DateTimeField(help_text="UTC")
    bars_per_step = forms.IntegerField(initial=1, min_value=1)
    step_seconds = forms.FloatField(initial=2.0)
    start_now = forms.BooleanField(required=False, initial=True, label="Start the clock now")

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        # The desk's parameters but the random seeds, before "start now".
        start_now = self.fields.pop("start_now")
        self.fields.update(desk_form_fields(REPLAY_PARAMS))
        self.fields["start_now"] = start_now
        self.fields["agents"].queryset = agent_list(owner=owner)
