"""One rule for text a user names things with: no control or direction-override characters
(and, below, one for a time window: its end is not before its start).

Unicode bidi overrides (U+202A-U+202E, U+2066-U+2069), the invisible marks (U+200E/F,
U+061C), line/paragraph separators and C0/C1 control characters make a name display as
something it is not ("Trojan Source": `evil\u202egnp.exe` shows as `evilexe.png`) or break
a one-line listing. Names of strategies, agents, portfolios, models, the strategy recorded
on an order and a symbol's description refuse them: the serializers and forms carry
``validate_name`` (a 400 naming the field) and the services call ``name_clean``, so a
caller that skips the form is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from engine.bounds import window_problem

_UNSAFE = re.compile(
    "[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


def name_problem(value: str) -> str | None:
    match = _UNSAFE.search(value or "")
    if match is None:
        return None
    return (
        f"contains the control or text-direction character U+{ord(match.group()):04X}; "
        "names must be plain text"
    )


def validate_name(value: str) -> None:
    """A Django/DRF field validator."""
    if (problem := name_problem(value)) is not None:
        raise ValidationError(problem, code="unsafe_characters")


def name_clean(value: str, field: str = "name") -> str:
    """For services: the value, or a ValidationError naming ``field``."""
    if (problem := name_problem(value)) is not None:
        raise ValidationError({field: [problem]})
    return value


def window_clean(start, end, *, empty_ok: bool = True) -> None:
    """For services and serializers: a ValidationError on ``end`` when the window is
    backwards (or empty, unless ``empty_ok``); the rule is the engine's (window_problem)."""
    if (problem := window_problem(start, end, empty_ok=empty_ok)) is not None:
        raise ValidationError({"end": [problem]})


MAX_WHOLE_DIGITS = 18


def whole_number(raw: str, maximum: int | None = None) -> int | None:
    """``raw`` read as a whole number from 1 (to ``maximum``), or None: ASCII digits only,
    no sign, space or point ("²" is a digit to isdigit, not to int), and the length checked
    before int() (which refuses 4,300+ digits). The API's query parameters and the pages'
    ids both read whole numbers through this one rule."""
    digits = len(str(maximum)) if maximum else MAX_WHOLE_DIGITS
    if not (raw.isascii() and raw.isdigit() and len(raw) <= digits):
        return None
    value = int(raw)
    return value if 1 <= value <= (maximum or value) else None


def whole_number_rule(maximum: int | None = None) -> str:
    """What ``whole_number`` takes, said as the refusal."""
    return f"a whole number from 1 to {maximum}" if maximum else "a whole number from 1"


class FieldErrors:
    """A service's input problems, collected so one ValidationError names all of them (the
    API answered one field at a time when each check raised on its own)::

        errors = FieldErrors()
        with errors.check():
            symbol = symbol_name_clean(symbol)
        if action not in ACTIONS:
            errors.add("action", "must be 'buy' or 'sell'")
        errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    @contextmanager
    def check(self) -> Iterator[None]:
        """Run a check that raises a Django ValidationError; keep its errors and go on."""
        try:
            yield
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        for message in error.messages:
                            self.add(field, message)
            else:
                for message in exc.messages:
                    self.add(NON_FIELD_ERRORS, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
