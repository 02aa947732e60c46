"""Model fields the backends do not give us: an exact Decimal column on SQLite too.

Django stores a DecimalField on SQLite as a NUMERIC-affinity column, which keeps a
non-integer as an 8-byte REAL and reads it back rounded to 15 significant digits
(12345678.12345678 came back as 12345678.12345680). ``ExactDecimalField`` is a
DecimalField that stays ``numeric(p, s)`` on PostgreSQL and becomes TEXT on SQLite, in a
fixed-width form whose text order is the numeric order:

- a value >= 0 is written with all its integer and decimal digits, zero-padded:
  ``00000000000000000005.10000000`` for 5.1 in a (28, 8) column;
- a value < 0 is written as ``-`` and the complement ``10**integer_digits + value`` in the
  same width: ``-99999999999999999994.90000000`` for -5.1. ``-`` sorts before every digit
  and a more negative value has a smaller complement.

So equality, <, >, BETWEEN, ORDER BY, MIN, MAX and the check constraints stay exact in
SQL. Arithmetic in SQL (SUM, AVG, F() + 1) is not: SQLite would coerce the text to REAL.
Sum money in Python with Decimal; a float arriving from such an expression is refused
loudly (DataError) rather than read back as an inexact amount. Integers of the smallest
unit were measured and rejected: an int64 of 1e-8 units stops at 92,233,720,368.54775807,
short of the 18 integer digits amounts may have.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

from django.db import DataError, models

_WIDE = Context(prec=120)


def _scale(decimal_places: int) -> Decimal:
    return Decimal(1).scaleb(-decimal_places)


def encode_sortable(value: Decimal, max_digits: int, decimal_places: int) -> str:
    """The fixed-width text of ``value`` (rounded half-even to the column's places, as
    Django rounds for NUMERIC); DataError if it has more integer digits than the column."""
    integer_digits = max_digits - decimal_places
    try:
        q = value.quantize(_scale(decimal_places), context=_WIDE)
    except InvalidOperation:
        raise DataError(f"{value!r} is not a finite decimal number") from None
    limit = Decimal(10) ** integer_digits
    if abs(q) >= limit:
        raise DataError(
            f"numeric field overflow: {value} does not fit {integer_digits} integer digits"
        )
    width = integer_digits + 1 + decimal_places
    if q >= 0:
        return format(q, f"0{width}.{decimal_places}f")
    return "-" + format(limit + q, f"0{width}.{decimal_places}f")


def decode_sortable(text: str, max_digits: int, decimal_places: int) -> Decimal:
    integer_digits = max_digits - decimal_places
    pattern = rf"-?[0-9]{{{integer_digits}}}\.[0-9]{{{decimal_places}}}"
    if decimal_places == 0:
        pattern = rf"-?[0-9]{{{integer_digits}}}\."
    if not isinstance(text, str) or not re.fullmatch(pattern, text):
        raise DataError(
            f"{text!r} is not an exact decimal as stored on SQLite; SQL arithmetic on "
            "money columns is inexact there, sum them in Python"
        )
    if text.startswith("-"):
        return Decimal(text[1:]) - Decimal(10) ** integer_digits
    return Decimal(text)


class ExactDecimalField(models.DecimalField):
    """A DecimalField that is exact on every backend (see the module docstring)."""

    def get_internal_type(self) -> str:
        # Not "DecimalField": SQLite's backend would add its REAL-to-Decimal converter,
        # which expects a float. Column types come from db_type below.
        return "ExactDecimalField"

    def db_type(self, connection) -> str:
        if connection.vendor == "sqlite":
            return "text"  # TEXT affinity: SQLite keeps the string as written
        return connection.data_types["DecimalField"] % self.db_type_parameters(connection)

    def rel_db_type(self, connection) -> str:
        return self.db_type(connection)

    def cast_db_type(self, connection) -> str:
        return self.db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "sqlite":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "as_sql"):
            return value
        return encode_sortable(self.to_python(value), self.max_digits, self.decimal_places)

    def from_db_value(self, value, expression, connection):
        if value is None or connection.vendor != "sqlite":
            return value
        return decode_sortable(value, self.max_digits, self.decimal_places)
