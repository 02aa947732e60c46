"""The desk's parameters (engine.desk.DEFAULTS and BOUNDS) as form and serializer fields,
written once for every page and API that takes them: desk backtests, their sweeps and
replay sessions."""

from __future__ import annotations

from django import forms
from rest_framework import serializers

from engine.desk import BOUNDS, DEFAULTS
from engine.desk.backtest import WHOLE


def desk_form_fields(names=tuple(DEFAULTS)) -> dict[str, forms.Field]:
    """A page's fields with engine.desk's defaults and ranges."""
    out = {}
    for name in names:
        bound, initial = BOUNDS[name], DEFAULTS[name]
        if name in WHOLE:
            out[name] = forms.IntegerField(
                min_value=int(bound.input_min), max_value=int(bound.input_max), initial=initial
            )
            continue
        if isinstance(initial, float) and initial.is_integer():
            initial = int(initial)  # the page shows 10000, not 10000.0
        out[name] = forms.FloatField(
            min_value=bound.input_min, max_value=bound.input_max, initial=initial
        )
    return out


def desk_serializer_fields(names=tuple(DEFAULTS)) -> dict[str, serializers.Field]:
    """An API's fields with engine.desk's defaults and ranges, each refusal in the engine's
    words."""
    out = {}
    for name in names:
        bound = BOUNDS[name]
        kind = serializers.IntegerField if name in WHOLE else serializers.FloatField
        out[name] = kind(
            default=DEFAULTS[name],
            min_value=bound.input_min,
            max_value=bound.input_max,
            error_messages={"min_value": bound.message, "max_value": bound.message},
        )
    return out


# A replay session keeps no random baseline: every parameter but the seeds.
REPLAY_PARAMS = tuple(name for name in DEFAULTS if name != "seeds")
