"""Helpers for the pages' forms: query parameters read through a Django form, refusals
that name the field.

A page that took ``int(request.GET[...])`` answered 500 to "²" (a digit to isdigit, not to
int) or to 5,000 digits; here the form says what it takes and anything else is a 400 page
naming the parameter (apps.core.exceptions.bad_request renders it).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import BadRequest, ValidationError

from apps.core.validators import whole_number, whole_number_rule

# The largest id a database key holds (SQLite and PostgreSQL bigint).
MAX_ID = 2**63 - 1


class IdField(forms.Field):
    """A database id: a whole number from 1 to 2**63 - 1, read by the rule the API's query
    parameters use (apps.core.validators.whole_number)."""

    widget = forms.NumberInput

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        number = whole_number(str(value), MAX_ID)
        if number is None:
            raise ValidationError(whole_number_rule(MAX_ID), code="invalid")
        return number


def form_errors_text(form: forms.Form) -> str:
    return "; ".join(
        f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in form.errors.items()
    )


def form_clean(form_class: type[forms.Form], data) -> dict[str, Any]:
    """The cleaned data, or a ValidationError naming each refused field (for pages that
    report a service's ValidationError the same way)."""
    form = form_class(data)
    if not form.is_valid():
        raise ValidationError({f: [str(m) for m in msgs] for f, msgs in form.errors.items()})
    return form.cleaned_data


def query_clean(form_class: type[forms.Form], data) -> dict[str, Any]:
    """The cleaned query parameters, or BadRequest (a 400 page) naming each refused one."""
    form = form_class(data)
    if not form.is_valid():
        raise BadRequest(form_errors_text(form))
    return form.cleaned_data


def form_errors(
    form: forms.Form, exc: ValidationError, *, onto: dict[str, str] | None = None
) -> None:
    """A service's ValidationError onto a page's form: a field's messages beside that field
    (``onto`` maps a service's field name to the form's, e.g. symbol -> strategy_json); any
    other field's on the form as a whole, named."""
    for field, msgs in exc.message_dict.items():
        target = (onto or {}).get(field, field)
        beside = target in form.fields
        for msg in msgs:
            form.add_error(target if beside else None, msg if beside else f"{field}: {msg}")


def error_lines(exc: ValidationError) -> list[str]:
    """A service's ValidationError as "field: message" lines (for pages without a form)."""
    return [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
