"""Bases for the API's input serializers: what a client sends is read as the schema says.

DRF is lenient by default: a JSON `"execute": 0` is read as false, `"seed": "42"` as 42,
`"symbol": 12` as "12", and an empty query parameter (`?limit=`) as if it were absent. The
OpenAPI schema documents JSON types, so a body whose values have other types is refused
(400, naming each field and the type it needs) instead of being quietly converted.
Multipart and query values are text by nature and keep DRF's conversions.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from apps.core.validators import whole_number, whole_number_rule

_NUMBER = (int, float)


def _expected(field: serializers.Field) -> tuple[tuple[type, ...], str] | None:
    """The JSON types a field takes and how to say so; None: anything (or checked deeper).
    A field class may state its own as ``json_types = ((types...), message)``."""
    own = getattr(field, "json_types", None)
    if own is not None:
        return own
    if isinstance(field, serializers.BooleanField):
        return (bool,), "must be true or false"
    if isinstance(field, serializers.IntegerField):
        return (int, float), "must be a whole number"
    if isinstance(field, serializers.FloatField):
        return _NUMBER, "must be a number"
    if isinstance(field, serializers.DecimalField):
        return (str,), 'must be a decimal number written as a string, e.g. "20000.5"'
    if isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DateTimeField
        | serializers.DateField,
    ):
        return (str,), "must be a string"
    if isinstance(field, serializers.ListField):
        return (list,), "must be a list"
    if isinstance(field, serializers.DictField):
        return (dict,), "must be an object"
    return None


def json_type_errors(field: serializers.Field, value: Any) -> Any:
    """The error for ``value`` under ``field`` (nested like DRF's), or None if its type fits."""
    if value is None:
        return None  # allow_null is the field's own business
    expected = _expected(field)
    if expected is None:
        return None
    types, message = expected
    if isinstance(value, bool) and bool not in types:
        return [message]
    if not isinstance(value, types):
        return [message]
    if isinstance(field, serializers.IntegerField) and isinstance(value, float):
        return None if value.is_integer() else [message]
    if isinstance(field, serializers.ListField):
        errors = {i: e for i, v in enumerate(value) if (e := json_type_errors(field.child, v))}
        return errors or None
    if isinstance(field, serializers.DictField):
        errors = {k: e for k, v in value.items() if (e := json_type_errors(field.child, v))}
        return errors or None
    return None


def query_value_error(query: QueryDict, name: str, allow_blank: bool = False) -> list[str] | None:
    """Each query parameter is one value: given twice (`?a=1&a=2`) it is refused rather than
    quietly meaning the last; empty (`?a=`) it is refused unless blank is allowed."""
    values = query.getlist(name)
    if len(values) > 1:
        return ["given more than once; send it once"]
    if values == [""] and not allow_blank:
        return ["must not be empty"]
    return None


def query_int(query: QueryDict, name: str, default: int, maximum: int | None = None) -> int:
    """A whole-number query parameter from 1 (to `maximum`), `default` when absent; anything
    else is a 400 naming it."""
    if name not in query:
        return default
    error = query_value_error(query, name)
    value = None if error else whole_number(query.get(name), maximum)
    if value is None:
        raise serializers.ValidationError({name: error or [whole_number_rule(maximum)]})
    return value


class InputSerializer(serializers.Serializer):
    """A request's query parameters or JSON body, read strictly (see the module docstring
    and `query_value_error`)."""

    def to_internal_value(self, data):
        if isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or isinstance(field, serializers.ListField):
                    continue
                if error := query_value_error(data, name, getattr(field, "allow_blank", False)):
                    errors[name] = error
        elif isinstance(data, dict):
            errors = {
                name: error
                for name, field in self.fields.items()
                if not field.read_only
                and name in data
                and (error := json_type_errors(field, data[name]))
            }
        else:
            errors = {}
        if errors:
            # Every field's problem in one answer: the others are still read as usual.
            raise serializers.ValidationError({**self._other_errors(data, errors), **errors})
        return super().to_internal_value(data)

    def _other_errors(self, data, refused: dict) -> dict:
        """DRF's errors for the fields not already refused by their JSON type or repetition."""
        if isinstance(data, QueryDict):
            rest = data.copy()
            for name in refused:
                rest.pop(name, None)
        else:
            rest = {k: v for k, v in data.items() if k not in refused}
        try:
            super().to_internal_value(rest)
        except serializers.ValidationError as exc:
            return {k: v for k, v in exc.detail.items() if k not in refused}
        return {}


class SymbolQuerySerializer(InputSerializer):
    """`?symbol=` on the lists that filter by market (empty: all)."""

    symbol = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="only this symbol (any case)"
    )
