"""What every desk run takes, written once for desk backtests, their sweeps and replay
sessions: the desk's parameters (engine.desk.DEFAULTS and BOUNDS) as form and serializer
fields, and the rule that an agent's model trades only candles after its training window
(SPEC §7a, issue 14 item 7)."""

from __future__ import annotations

import pandas as pd
from django import forms
from rest_framework import serializers

from apps.core.jobs import JobStatus
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


def desk_model_problem(agent, start) -> str | None:
    """Why ``agent``'s model may not trade from ``start`` (None: it may): a model is used
    only on candles after its training window, and only when it is usable."""
    model = agent.model
    if model is None:
        return None
    if model.status != JobStatus.SUCCEEDED or not model.usable:
        return f"{agent.name}: its model #{model.pk} is not usable ({model.status})"
    window = model.train_window or []
    if len(window) != 2:
        return f"{agent.name}: its model #{model.pk} has no recorded training window"
    first, last = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    if pd.Timestamp(start) <= last:
        return (
            f"{agent.name}: its model #{model.pk} was trained on candles from "
            f"{first:%Y-%m-%d %H:%M} UTC to {last:%Y-%m-%d %H:%M} UTC; start the window "
            f"after {last:%Y-%m-%d %H:%M} UTC"
        )
    return None
