"""Money's columns, bounds and rounding, in one place.

Columns: amounts (cash, prices, notional, fees, cost, P&L, snapshot values) are
``MONEY`` (28 digits, 8 places: |x| < 1e20); quantities are ``QTY`` (32 digits, 12 places:
|x| < 1e20). Both are exact on SQLite too (``apps.core.fields.ExactDecimalField``).

Bounds (what the API, the pages and the services accept; 400 naming the field beyond):

- a price is in [PRICE_MIN, PRICE_MAX] = [0.00000001, 999999999999999999.99999999]
  (at most 18 integer digits and 8 places);
- cash (the initial cash, and the cash after any order) is in [0, CASH_MAX], with
  CASH_MAX = 999999999999999999.99999999, so a buy's spend, notional and fee, and a sell's
  notional, fee and proceeds are all below 1e18;
- a quantity is at most QTY_MAX = 999999999999999999.999999999999 (18 integer digits,
  12 places): a buy at a tiny price that would get more is refused (price);
- a sale whose notional or resulting cash would pass CASH_MAX is refused (price).

Every stored value is then below 1e18 except a position's cost and fees and a trade's
fees (sums of at most two such amounts, or checked against AMOUNT_LIMIT) and a snapshot's
value at the latest closes, which is checked against AMOUNT_LIMIT = 1e20, the columns'
capacity. All arithmetic runs in ``ARITH`` (80 significant digits, so a product of a
quantity and a price is exact) and each stored amount is rounded once, with a stated
rounding, by ``money`` (half-even to 8 places) or ``quantity_down`` (down to 12 places).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

MONEY = {"max_digits": 28, "decimal_places": 8}
QTY = {"max_digits": 32, "decimal_places": 12}

CENT8 = Decimal("0.00000001")
QTY12 = Decimal("0.000000000001")

PRICE_MIN = CENT8
PRICE_MAX = Decimal("999999999999999999.99999999")
CASH_MAX = Decimal("999999999999999999.99999999")
QTY_MAX = Decimal("999999999999999999.999999999999")
AMOUNT_LIMIT = Decimal("1e20")  # the MONEY column's capacity (exclusive)
MIN_NOTIONAL = Decimal("0.01")

ARITH = Context(
    prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_ARITH_DOWN = ARITH.copy()
_ARITH_DOWN.rounding = ROUND_DOWN


def money(x: Decimal) -> Decimal:
    """An amount rounded half-even to 8 places (never raises for a finite amount)."""
    return x.quantize(CENT8, rounding=ROUND_HALF_EVEN, context=ARITH)


def quantity_down(notional: Decimal, price: Decimal) -> Decimal:
    """The quantity ``notional`` buys at ``price``, rounded down to 12 places: a buy never
    gets more than it paid for. Truncating twice (80 digits, then 12 places) is one truncation."""
    return _ARITH_DOWN.divide(notional, price).quantize(QTY12, rounding=ROUND_DOWN, context=ARITH)


def mul(a: Decimal, b: Decimal) -> Decimal:
    return ARITH.multiply(a, b)


def div(a: Decimal, b: Decimal) -> Decimal:
    return ARITH.divide(a, b)


def add(a: Decimal, b: Decimal) -> Decimal:
    return ARITH.add(a, b)


def sub(a: Decimal, b: Decimal) -> Decimal:
    return ARITH.subtract(a, b)


def money_sum(values: Iterable[Decimal]) -> Decimal:
    """An exact sum (Python's sum() rounds past 28 digits under the default context)."""
    total = Decimal(0)
    for v in values:
        total = ARITH.add(total, v)
    return total


def fmt(x: Decimal) -> str:
    """An amount in plain digits (str() writes 0.00000001 as 1E-8)."""
    return format(x, "f")
