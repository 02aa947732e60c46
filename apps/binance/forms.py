from django import forms

from apps.core.forms import IdField
from engine.marketdata import INTERVALS

from .services import SCHEDULE_MAX_MINUTES


class SyncForm(forms.Form):
    symbol = forms.CharField(max_length=30)
    interval = forms.ChoiceField(choices=[(i, i) for i in INTERVALS])
    start = forms.DateTimeField(
        help_text="UTC, e.g. 2024-01-01",
        error_messages={"invalid": "not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM, UTC)"},
    )


class ScheduleForm(SyncForm):
    every_minutes = forms.IntegerField(min_value=1, max_value=SCHEDULE_MAX_MINUTES, initial=60)


class ScheduleChoiceForm(forms.Form):
    schedule = IdField()
