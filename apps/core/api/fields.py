"""Output fields that keep the API's formats one: money as a decimal string, metrics typed.

Money, prices, quantities and fees are decimal strings in fixed-point notation with
``MONEY_PLACES`` decimals, whether they are stored as exact decimals (the paper portfolio)
or computed as floats (the engine): ``409.35522000000003`` reads ``"409.35522000"`` and a
zero ``"0.00000000"``, never ``"0E-8"``. Ratios and percentages stay JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.formatting import METRICS, rounded, to_decimal

MONEY_PLACES = 8
MONEY_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+\.\d+$",
    "example": "409.35522000",
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """An amount, price, quantity or fee as a fixed-point decimal string with ``places``
    decimals (read only)."""

    def __init__(self, places: int = MONEY_PLACES, **kwargs):
        self.places = places
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str | None:
        return money_string(value, self.places)


def money_string(value, places: int = MONEY_PLACES) -> str | None:
    """``value`` (Decimal, float, int or numeric text) as the API writes money, rounded
    half-even to ``places``; None when it is missing or not a finite number."""
    d = to_decimal(value)
    if d is None:
        return None
    return format(rounded(d, places), "f")


class RoundedFloatField(serializers.FloatField):
    """A ratio or percentage as a JSON number, rounded to ``places`` decimals (read only)."""

    def __init__(self, places: int = 4, **kwargs):
        self.places = places
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> float:
        return round(float(value), self.places)


# How each kind of the formatting layer's METRICS table is typed in the API.
_KINDS = {
    "money": lambda help_text: MoneyField(allow_null=True, help_text=help_text),
    "count": lambda help_text: serializers.IntegerField(allow_null=True, help_text=help_text),
    "bars": lambda help_text: serializers.IntegerField(allow_null=True, help_text=help_text),
    "seconds": lambda help_text: serializers.IntegerField(allow_null=True, help_text=help_text),
}


def metric_field(key: str) -> serializers.Field:
    """The typed field of a metric, documented with its label and definition from METRICS."""
    metric = METRICS[key]
    help_text = f"{metric.label}: {metric.help}"
    make = _KINDS.get(metric.kind)
    if make is not None:
        return make(help_text)
    return serializers.FloatField(allow_null=True, help_text=help_text)


def metrics_serializer(name: str, keys: Iterable[str]) -> type[serializers.Serializer]:
    """A serializer class named ``name`` with one typed field per metric key."""
    return type(name, (serializers.Serializer,), {key: metric_field(key) for key in keys})
