"""Paper trading: orders against a portfolio, with exact money and no lost updates.

Every order runs in one transaction that first locks the portfolio row
(SELECT ... FOR UPDATE), so concurrent orders on one portfolio serialise; all money is
Decimal, within the bounds of money.py (a ValidationError naming the field beyond them),
computed in its wide context and rounded once per stored amount with a stated rounding;
the database refuses a negative balance. An order's cash_after is the portfolio's cash
after it, to the last unit.
An idempotency key makes a retried order execute once: the same key with the same body
returns the first fill; the same key with a different body is refused (422).
Closed round trips become TradeLog rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.validators import name_clean, name_problem
from apps.marketdata.models import Candle
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import symbol_name_clean
from engine.marketdata import interval_ms

from .models import Order, Portfolio, Position, Snapshot, Source, TradeLog
from .money import (
    AMOUNT_LIMIT,
    CASH_MAX,
    MIN_NOTIONAL,
    PRICE_MAX,
    PRICE_MIN,
    QTY_MAX,
    add,
    div,
    fmt,
    money,
    money_sum,
    mul,
    quantity_down,
)

logger = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different order (HTTP 422)."""


def to_decimal(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ["must be a number"]}) from None
    if not d.is_finite():
        raise ValidationError({field: ["must be a finite number"]})
    return d


def portfolio_get_or_create_default(*, owner) -> Portfolio:
    portfolio = Portfolio.objects.filter(owner=owner, is_default=True).first()
    if portfolio is not None:
        return portfolio
    try:
        with transaction.atomic():
            return Portfolio.objects.create(owner=owner, name="Paper", is_default=True)
    except IntegrityError:
        return Portfolio.objects.get(owner=owner, name="Paper")


def portfolio_create(
    *,
    owner,
    name: str,
    initial_cash=Decimal("10000"),
    buy_fraction=Decimal("0.1"),
    fee_rate=Decimal("0.001"),
    quote_currency: str = "USDT",
) -> Portfolio:
    initial = to_decimal(initial_cash, "initial_cash")
    fraction = to_decimal(buy_fraction, "buy_fraction")
    fee = to_decimal(fee_rate, "fee_rate")
    errors = {}
    if not (0 < initial <= CASH_MAX) or initial != money(initial):
        errors["initial_cash"] = [
            f"must be positive, at most {fmt(CASH_MAX)}, with at most 8 decimal places"
        ]
    if not (Decimal(0) < fraction <= Decimal(1)):
        errors["buy_fraction"] = ["must be in (0, 1]"]
    if not (Decimal(0) <= fee < Decimal("0.1")):
        errors["fee_rate"] = ["must be in [0, 0.1)"]
    if not name.strip():
        errors["name"] = ["required"]
    elif (problem := name_problem(name)) is not None:
        errors["name"] = [problem]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Portfolio.objects.create(
                owner=owner,
                name=name.strip()[:80],
                initial_cash=money(initial),
                cash=money(initial),
                buy_fraction=fraction,
                fee_rate=fee,
                quote_currency=quote_currency,
                is_default=not Portfolio.objects.filter(owner=owner).exists(),
            )
    except IntegrityError:
        raise ValidationError({"name": [f"you already have a portfolio named {name!r}"]}) from None


@dataclass(frozen=True)
class Quote:
    price: Decimal
    time: datetime
    source: str


def latest_quote(symbol: str) -> Quote | None:
    """The latest close of the symbol over any interval, and the time that close happened."""
    candle = (
        Candle.objects.filter(symbol__name=symbol)
        .order_by("-open_time")
        .values("open_time", "close", "interval")
        .first()
    )
    if candle is None:
        return None
    close_time = candle["open_time"] + timedelta(milliseconds=interval_ms(candle["interval"]))
    return Quote(
        price=Decimal(repr(candle["close"])),
        time=close_time,
        source=f"close of {candle['interval']} candle {candle['open_time']:%Y-%m-%d %H:%M}",
    )


def _request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _drawdown_pct(
    symbol: str, entry_price: Decimal, start: datetime, end: datetime, exit_price: Decimal
) -> float:
    """Worst move against a long position while it was open, in % of the entry price."""
    worst = float(exit_price)
    finest = (
        Candle.objects.filter(symbol__name=symbol).values_list("interval", flat=True).distinct()
    )
    intervals = sorted(finest, key=interval_ms)
    if intervals and end > start:
        frame = candles_frame(symbol=symbol, interval=intervals[0], start=start, end=end)
        if len(frame):
            worst = min(worst, float(frame["low"].min()))
    return max(0.0, (1.0 - worst / float(entry_price)) * 100.0) if entry_price > 0 else 0.0


def _price_check(price: Decimal, where: str) -> None:
    if not (price.is_finite() and PRICE_MIN <= price <= PRICE_MAX):
        raise ValidationError(
            {"price": [f"must be between {fmt(PRICE_MIN)} and {fmt(PRICE_MAX)}{where}"]}
        )


def order_place(
    *,
    owner,
    symbol: str,
    action: str,
    portfolio: Portfolio | None = None,
    price=None,
    confidence: float | None = None,
    source: str = Source.MANUAL,
    idempotency_key: str | None = None,
    strategy_name: str = "",
    indicators_used: list[str] | None = None,
    notes: str = "",
    agent=None,
    decision=None,
) -> tuple[Order, bool]:
    """Execute a paper trade. Returns (order, created): created is False for a replay of the
    same idempotency key. ValidationError for a mistake, IdempotencyConflict for a reused key."""
    symbol = symbol_name_clean(symbol)
    name_clean(strategy_name, "strategy_name")
    if action not in (Order.Action.BUY, Order.Action.SELL):
        raise ValidationError({"action": ["must be 'buy' or 'sell'"]})
    if source not in Source.values:
        raise ValidationError({"source": [f"must be one of {', '.join(Source.values)}"]})
    if confidence is not None and not (0.0 <= float(confidence) <= 1.0):
        raise ValidationError({"confidence": ["must be between 0 and 1"]})
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 120):
        raise ValidationError({"idempotency_key": ["must be 1 to 120 characters"]})
    if price is not None:
        given = to_decimal(price, "price")
        _price_check(given, "")
        if given != money(given):
            raise ValidationError({"price": ["must have at most 8 decimal places"]})
        quote = Quote(price=given, time=timezone.now(), source="given")
    else:
        quote = latest_quote(symbol)
        if quote is None:
            raise ValidationError(
                {
                    "symbol": [
                        f"no market data for {symbol}, so no price; import candles or give a price"
                    ]
                }
            )
        # A close from the candles may carry more places than a price column: the order
        # uses the price it stores, rounded half-even to 8 places.
        where = f" (the latest close of {symbol} is {quote.price})"
        _price_check(quote.price, where)
        quote = Quote(price=money(quote.price), time=quote.time, source=quote.source)
        _price_check(quote.price, where)
    fingerprint = _request_hash(
        {
            "symbol": symbol,
            "action": action,
            "price": str(price) if price is not None else None,
            "confidence": confidence,
            "source": source,
            "portfolio": portfolio.pk if portfolio else None,
        }
    )
    if portfolio is None:
        portfolio = portfolio_get_or_create_default(owner=owner)
    elif portfolio.owner_id != owner.pk:
        raise ValidationError({"portfolio": ["no such portfolio"]})

    with transaction.atomic():
        locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
        if idempotency_key is not None:
            previous = Order.objects.filter(
                portfolio=locked, idempotency_key=idempotency_key
            ).first()
            if previous is not None:
                if previous.request_hash != fingerprint:
                    raise IdempotencyConflict(
                        "this Idempotency-Key was already used for a different order"
                    )
                return previous, False
        fee_rate = locked.fee_rate
        now = timezone.now()
        common = dict(
            portfolio=locked,
            symbol=symbol,
            action=action,
            price=quote.price,
            price_source=quote.source[:40],
            market_time=quote.time,
            confidence=confidence,
            source=source,
            strategy_name=strategy_name[:120],
            indicators_used=indicators_used or [],
            notes=notes,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
            agent=agent,
            decision=decision,
        )
        if action == Order.Action.BUY:
            # spend <= cash (a fraction <= 1 of an 8-place amount, half-even to 8 places).
            spend = money(mul(locked.cash, locked.buy_fraction))
            if spend < MIN_NOTIONAL:
                raise ValidationError(
                    {"action": [f"not enough cash: {locked.cash} {locked.quote_currency} left"]}
                )
            # Spend = notional + fee, so the fee never pushes cash below zero.
            notional = money(div(spend, add(Decimal(1), fee_rate)))
            fee = spend - notional
            quantity = quantity_down(notional, quote.price)
            if quantity <= 0:
                raise ValidationError({"price": ["the price is too high to buy any quantity"]})
            position = (
                Position.objects.select_for_update().filter(portfolio=locked, symbol=symbol).first()
            )
            held = position.quantity if position is not None else Decimal(0)
            if add(held, quantity) > QTY_MAX:
                raise ValidationError(
                    {
                        "price": [
                            f"too low for this amount: the {symbol} position would pass "
                            f"{fmt(QTY_MAX)} units"
                        ]
                    }
                )
            if position is not None and add(position.cost, spend) >= AMOUNT_LIMIT:
                raise ValidationError(
                    {"action": [f"the {symbol} position's cost would pass {fmt(AMOUNT_LIMIT)}"]}
                )
            locked.cash = locked.cash - spend
            order = Order.objects.create(
                **common, quantity=quantity, notional=notional, fee=fee, cash_after=locked.cash
            )
            if position is None:
                Position.objects.create(
                    portfolio=locked,
                    symbol=symbol,
                    quantity=quantity,
                    avg_price=quote.price,
                    cost=spend,
                    fees=fee,
                    opened_at=quote.time,
                    strategy_name=strategy_name[:120],
                    indicators_used=indicators_used or [],
                    confidence=confidence,
                    source=source,
                    agent=agent,
                )
            else:
                total_qty = add(position.quantity, quantity)
                # Between the two prices, so within the price bounds; half-even to 8 places.
                position.avg_price = money(
                    div(
                        add(mul(position.avg_price, position.quantity), mul(quote.price, quantity)),
                        total_qty,
                    )
                )
                position.quantity = total_qty
                position.cost = add(position.cost, spend)
                position.fees = add(position.fees, fee)
                position.save(update_fields=["avg_price", "quantity", "cost", "fees"])
        else:
            position = (
                Position.objects.select_for_update().filter(portfolio=locked, symbol=symbol).first()
            )
            if position is None:
                raise ValidationError({"action": [f"nothing to sell: no open {symbol} position"]})
            quantity = position.quantity
            notional = money(mul(quantity, quote.price))
            fee = money(mul(notional, fee_rate))
            proceeds = notional - fee
            if notional > CASH_MAX or add(locked.cash, proceeds) > CASH_MAX:
                raise ValidationError(
                    {
                        "price": [
                            f"too high for this position: selling {quantity} {symbol} at "
                            f"{quote.price} would bring the cash past {fmt(CASH_MAX)}"
                        ]
                    }
                )
            locked.cash = add(locked.cash, proceeds)
            order = Order.objects.create(
                **common, quantity=quantity, notional=notional, fee=fee, cash_after=locked.cash
            )
            pnl = proceeds - position.cost
            roi = float(div(mul(pnl, Decimal(100)), position.cost)) if position.cost else 0.0
            result = (
                TradeLog.Result.WIN
                if pnl > 0
                else TradeLog.Result.LOSS
                if pnl < 0
                else TradeLog.Result.BREAKEVEN
            )
            entry_order = (
                Order.objects.filter(
                    portfolio=locked, symbol=symbol, action="buy", created_at__lte=now
                )
                .order_by("-created_at", "-id")
                .first()
            )
            TradeLog.objects.create(
                portfolio=locked,
                symbol=symbol,
                entry_time=position.opened_at,
                exit_time=quote.time,
                entry_price=position.avg_price,
                exit_price=quote.price,
                quantity=quantity,
                position_type="long",
                result=result,
                strategy_name=position.strategy_name or strategy_name[:120],
                indicators_used=position.indicators_used or indicators_used or [],
                confidence=position.confidence if position.confidence is not None else confidence,
                roi=round(roi, 6),
                pnl=pnl,
                fees=add(position.fees, fee),
                drawdown=round(
                    _drawdown_pct(
                        symbol, position.avg_price, position.opened_at, quote.time, quote.price
                    ),
                    6,
                ),
                duration=max(quote.time - position.opened_at, timedelta(0)),
                notes=notes,
                source=position.source,
                agent=position.agent or agent,
                entry_order=entry_order,
                exit_order=order,
            )
            position.delete()
        locked.save(update_fields=["cash", "updated_at"])
        _snapshot(locked, now)
    logger.info(
        "paper %s %s %s @ %s in portfolio %s (%s)",
        action,
        order.quantity,
        symbol,
        order.price,
        locked.pk,
        source,
    )
    return order, True


def positions_value(portfolio: Portfolio) -> Decimal:
    """The positions at their latest closes (else their average price), exactly summed and
    rounded half-even to 8 places once."""
    values = []
    for position in portfolio.positions.all():
        quote = latest_quote(position.symbol)
        price = quote.price if quote else position.avg_price
        values.append(mul(position.quantity, price))
    return money(money_sum(values))


def _snapshot(portfolio: Portfolio, when: datetime) -> None:
    value = positions_value(portfolio)
    total = add(portfolio.cash, value)
    if total >= AMOUNT_LIMIT:
        # Only a price jump in the candles after a buy can get here; refusing the order
        # keeps the value chart exact instead of storing a rounded or clipped point.
        raise ValidationError(
            {
                "price": [
                    f"the portfolio would be worth {total} at the latest closes, past the "
                    f"{fmt(AMOUNT_LIMIT)} an amount can hold; sell a position first"
                ]
            }
        )
    Snapshot.objects.create(
        portfolio=portfolio, time=when, cash=portfolio.cash, positions_value=value, total=total
    )


@transaction.atomic
def portfolio_reset(*, portfolio: Portfolio) -> Portfolio:
    """Back to the initial cash: positions, orders, the trade log and snapshots are cleared."""
    locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    locked.positions.all().delete()
    locked.trade_logs.all().delete()
    locked.orders.all().delete()
    locked.snapshots.all().delete()
    locked.cash = locked.initial_cash
    locked.save(update_fields=["cash", "updated_at"])
    return locked
