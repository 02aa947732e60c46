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

`order_place` checks, then does (Zulip's actions): `_order_check` validates the fields and
takes the quote without a lock, returning an `OrderPlan`; under the lock, in the one
transaction `order_place` owns, `_buy` or `_sell` (which logs the round trip with
`_trade_log_close`) write it. Reads (quotes, valuation) are selectors.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.validators import FieldErrors, name_clean, name_problem
from apps.marketdata.services import symbol_name_clean

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
    mul,
    quantity_down,
)
from .selectors import (
    Quote,
    drawdown_pct,
    latest_quote,
    market_staleness,
    portfolio_get,
    positions_value,
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


def portfolio_resolve(*, owner, pk: int | None) -> Portfolio | None:
    """The portfolio a request names: the owner's portfolio `pk` (None when it is not one of
    theirs), or with no `pk` their default portfolio, created on first use."""
    if pk is None:
        return portfolio_get_or_create_default(owner=owner)
    return portfolio_get(owner=owner, pk=pk)


def portfolio_create(
    *,
    owner,
    name: str,
    initial_cash=Decimal("10000"),
    buy_fraction=Decimal("0.1"),
    fee_rate=Decimal("0.001"),
    quote_currency: str = "USDT",
    kind: str = Portfolio.Kind.PAPER,
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
                kind=kind,
                # a replay session's portfolio is never the user's default one
                is_default=kind == Portfolio.Kind.PAPER
                and not Portfolio.objects.filter(owner=owner, is_default=True).exists(),
            )
    except IntegrityError:
        raise ValidationError({"name": [f"you already have a portfolio named {name!r}"]}) from None


@dataclass(frozen=True)
class OrderPlan:
    """A checked order: what `order_place`'s do steps execute under the portfolio's lock."""

    portfolio: Portfolio
    symbol: str
    action: str
    quote: Quote
    fingerprint: str
    confidence: float | None
    source: str
    idempotency_key: str | None
    strategy_name: str
    indicators_used: list[str]
    notes: str
    agent: object
    decision: object
    decided_at: datetime | None = None
    given_market_time: bool = False

    @property
    def tags(self) -> dict:
        """What the order says about itself, carried onto the position it opens."""
        return {
            "strategy_name": self.strategy_name,
            "indicators_used": self.indicators_used,
            "confidence": self.confidence,
            "source": self.source,
            "agent": self.agent,
        }


def _request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _price_check(price: Decimal, where: str) -> None:
    if not (price.is_finite() and PRICE_MIN <= price <= PRICE_MAX):
        raise ValidationError(
            {"price": [f"must be between {fmt(PRICE_MIN)} and {fmt(PRICE_MAX)}{where}"]}
        )


def _quote_check(*, symbol: str, price, market_time: datetime | None = None) -> Quote:
    """The order's price: the one given (exact, within bounds) at ``market_time`` (the
    candle it came from; default now, never later), else the latest close, which must be
    fresh (SPEC §7a Live: within DESK_MAX_STALE_BARS intervals of now)."""
    now = timezone.now()
    if price is not None:
        given = to_decimal(price, "price")
        _price_check(given, "")
        if given != money(given):
            raise ValidationError({"price": ["must have at most 8 decimal places"]})
        if market_time is not None and market_time > now:
            raise ValidationError({"market_time": ["must not be in the future"]})
        return Quote(price=given, time=market_time or now, source="given")
    if market_time is not None:
        raise ValidationError({"market_time": ["only with a given price"]})
    quote = latest_quote(symbol)
    if quote is None:
        raise ValidationError(
            {
                "symbol": [
                    f"no market data for {symbol}, so no price; import candles or give a price"
                ]
            }
        )
    age = market_staleness(quote.time, quote.interval, now=now)
    if not age.fresh:
        raise ValidationError(
            {
                "price": [
                    f"the latest close of {symbol} is from {quote.time:%Y-%m-%d %H:%M} UTC, "
                    f"{age.age} old; give a price"
                ]
            }
        )
    # A close from the candles may carry more places than a price column: the order
    # uses the price it stores, rounded half-even to 8 places.
    where = f" (the latest close of {symbol} is {quote.price})"
    _price_check(quote.price, where)
    quote = dataclasses.replace(quote, price=money(quote.price))
    _price_check(quote.price, where)
    return quote


def _order_check(
    *,
    owner,
    symbol: str,
    action: str,
    portfolio: Portfolio | None,
    price,
    confidence: float | None,
    source: str,
    idempotency_key: str | None,
    strategy_name: str,
    indicators_used: list[str] | None,
    notes: str,
    agent,
    decision,
    market_time: datetime | None = None,
    decided_at: datetime | None = None,
) -> OrderPlan:
    """Everything that needs no lock: the fields, the quote, the fingerprint, the portfolio.
    Every field's problem is reported at once."""
    errors = FieldErrors()
    with errors.check():
        symbol = symbol_name_clean(symbol)
    with errors.check():
        name_clean(strategy_name, "strategy_name")
    if action not in (Order.Action.BUY, Order.Action.SELL):
        errors.add("action", "must be 'buy' or 'sell'")
    if source not in Source.values:
        errors.add("source", f"must be one of {', '.join(Source.values)}")
    if confidence is not None and not (0.0 <= float(confidence) <= 1.0):
        errors.add("confidence", "must be between 0 and 1")
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 120):
        errors.add("idempotency_key", "must be 1 to 120 characters")
    if "symbol" not in errors:
        with errors.check():
            quote = _quote_check(symbol=symbol, price=price, market_time=market_time)
    errors.raise_if_any()
    # The fingerprint names the portfolio as asked (None: the default), before resolving it.
    body = {
        "symbol": symbol,
        "action": action,
        "price": str(price) if price is not None else None,
        "confidence": confidence,
        "source": source,
        "portfolio": portfolio.pk if portfolio else None,
    }
    if market_time is not None:
        body["market_time"] = quote.time.isoformat()
    fingerprint = _request_hash(body)
    if portfolio is None:
        portfolio = portfolio_get_or_create_default(owner=owner)
    elif portfolio.owner_id != owner.pk:
        raise ValidationError({"portfolio": ["no such portfolio"]})
    return OrderPlan(
        portfolio=portfolio,
        symbol=symbol,
        action=action,
        quote=quote,
        fingerprint=fingerprint,
        confidence=confidence,
        source=source,
        idempotency_key=idempotency_key,
        strategy_name=strategy_name[:120],
        indicators_used=indicators_used or [],
        notes=notes,
        agent=agent,
        decision=decision,
        decided_at=decided_at,
        given_market_time=market_time is not None,
    )


def _order_replay(locked: Portfolio, plan: OrderPlan) -> Order | None:
    """The order first placed with this idempotency key, if any; a different body is refused."""
    if plan.idempotency_key is None:
        return None
    previous = Order.objects.filter(portfolio=locked, idempotency_key=plan.idempotency_key).first()
    if previous is not None and previous.request_hash != plan.fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was already used for a different order")
    return previous


def _position_locked(locked: Portfolio, symbol: str) -> Position | None:
    return Position.objects.select_for_update().filter(portfolio=locked, symbol=symbol).first()


def _order_create(
    locked: Portfolio, plan: OrderPlan, *, quantity: Decimal, notional: Decimal, fee: Decimal
) -> Order:
    """The fill, with the cash the portfolio holds after it."""
    return Order.objects.create(
        portfolio=locked,
        symbol=plan.symbol,
        action=plan.action,
        price=plan.quote.price,
        price_source=plan.quote.source[:40],
        market_time=plan.quote.time,
        decided_at=plan.decided_at,
        **plan.tags,
        notes=plan.notes,
        idempotency_key=plan.idempotency_key,
        request_hash=plan.fingerprint,
        decision=plan.decision,
        quantity=quantity,
        notional=notional,
        fee=fee,
        cash_after=locked.cash,
    )


def _buy(locked: Portfolio, plan: OrderPlan) -> Order:
    """Spend the buy fraction of cash into the position (opened, or averaged into)."""
    symbol, price = plan.symbol, plan.quote.price
    # spend <= cash (a fraction <= 1 of an 8-place amount, half-even to 8 places).
    spend = money(mul(locked.cash, locked.buy_fraction))
    if spend < MIN_NOTIONAL:
        raise ValidationError(
            {"action": [f"not enough cash: {locked.cash} {locked.quote_currency} left"]}
        )
    # Spend = notional + fee, so the fee never pushes cash below zero.
    notional = money(div(spend, add(Decimal(1), locked.fee_rate)))
    fee = spend - notional
    quantity = quantity_down(notional, price)
    if quantity <= 0:
        raise ValidationError({"price": ["the price is too high to buy any quantity"]})
    position = _position_locked(locked, symbol)
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
    order = _order_create(locked, plan, quantity=quantity, notional=notional, fee=fee)
    if position is None:
        Position.objects.create(
            portfolio=locked,
            symbol=symbol,
            quantity=quantity,
            avg_price=price,
            cost=spend,
            fees=fee,
            opened_at=plan.quote.time,
            **plan.tags,
        )
    else:
        total_qty = add(position.quantity, quantity)
        # Between the two prices, so within the price bounds; half-even to 8 places.
        position.avg_price = money(
            div(add(mul(position.avg_price, position.quantity), mul(price, quantity)), total_qty)
        )
        position.quantity = total_qty
        position.cost = add(position.cost, spend)
        position.fees = add(position.fees, fee)
        position.save(update_fields=["avg_price", "quantity", "cost", "fees"])
    return order


def _sell(locked: Portfolio, plan: OrderPlan, now: datetime) -> Order:
    """Close the whole position into cash, logging the round trip."""
    symbol, price = plan.symbol, plan.quote.price
    position = _position_locked(locked, symbol)
    if position is None:
        raise ValidationError({"action": [f"nothing to sell: no open {symbol} position"]})
    if plan.given_market_time and plan.quote.time < position.opened_at:
        raise ValidationError(
            {
                "market_time": [
                    f"the {symbol} position opened at {position.opened_at:%Y-%m-%d %H:%M:%S} "
                    f"UTC (market time); a sell cannot fill before it"
                ]
            }
        )
    quantity = position.quantity
    notional = money(mul(quantity, price))
    fee = money(mul(notional, locked.fee_rate))
    proceeds = notional - fee
    if notional > CASH_MAX or add(locked.cash, proceeds) > CASH_MAX:
        raise ValidationError(
            {
                "price": [
                    f"too high for this position: selling {quantity} {symbol} at "
                    f"{price} would bring the cash past {fmt(CASH_MAX)}"
                ]
            }
        )
    locked.cash = add(locked.cash, proceeds)
    order = _order_create(locked, plan, quantity=quantity, notional=notional, fee=fee)
    _trade_log_close(
        locked, plan, position=position, exit_order=order, proceeds=proceeds, fee=fee, now=now
    )
    position.delete()
    return order


def _trade_log_close(
    locked: Portfolio,
    plan: OrderPlan,
    *,
    position: Position,
    exit_order: Order,
    proceeds: Decimal,
    fee: Decimal,
    now: datetime,
) -> TradeLog:
    """The closed round trip: P&L and ROI on the position's cost, its tags kept."""
    symbol, quote = plan.symbol, plan.quote
    # Entry and exit are the fills' market times. A live sell at the latest close (its
    # candle's close) may come up to DESK_MAX_STALE_BARS intervals before a buy placed "now"
    # at a given price: the round trip then ends when it began, never before.
    exit_time = max(quote.time, position.opened_at)
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
            portfolio=locked, symbol=symbol, action=Order.Action.BUY, created_at__lte=now
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return TradeLog.objects.create(
        portfolio=locked,
        symbol=symbol,
        entry_time=position.opened_at,
        exit_time=exit_time,
        entry_price=position.avg_price,
        exit_price=quote.price,
        quantity=position.quantity,
        position_type="long",
        result=result,
        strategy_name=position.strategy_name or plan.strategy_name,
        indicators_used=position.indicators_used or plan.indicators_used,
        confidence=position.confidence if position.confidence is not None else plan.confidence,
        roi=round(roi, 6),
        pnl=pnl,
        fees=add(position.fees, fee),
        drawdown=round(
            drawdown_pct(
                symbol=symbol,
                entry_price=position.avg_price,
                start=position.opened_at,
                end=exit_time,
                exit_price=quote.price,
            ),
            6,
        ),
        duration=exit_time - position.opened_at,
        notes=plan.notes,
        source=position.source,
        agent=position.agent or plan.agent,
        entry_order=entry_order,
        exit_order=exit_order,
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
    market_time: datetime | None = None,
    decided_at: datetime | None = None,
) -> tuple[Order, bool]:
    """Execute a paper trade. Returns (order, created): created is False for a replay of the
    same idempotency key. ValidationError for a mistake, IdempotencyConflict for a reused key.

    Market time (SPEC §7a): the order fills as of ``market_time`` (with a given ``price``:
    the candle the fill used, default now; without, the latest close's time, and a latest
    close older than DESK_MAX_STALE_BARS intervals is refused with a 400 naming ``price``),
    and ``decided_at`` is the close of the candle its signal used. Positions open and round
    trips close at these market times, so a trade's duration is market time, never
    wall-clock time; a sell with a ``market_time`` before its position opened is refused."""
    plan = _order_check(
        owner=owner,
        symbol=symbol,
        action=action,
        portfolio=portfolio,
        price=price,
        confidence=confidence,
        source=source,
        idempotency_key=idempotency_key,
        strategy_name=strategy_name,
        indicators_used=indicators_used,
        notes=notes,
        agent=agent,
        decision=decision,
        market_time=market_time,
        decided_at=decided_at,
    )
    with transaction.atomic():
        locked = Portfolio.objects.select_for_update().get(pk=plan.portfolio.pk)
        previous = _order_replay(locked, plan)
        if previous is not None:
            return previous, False
        now = timezone.now()
        if plan.action == Order.Action.BUY:
            order = _buy(locked, plan)
        else:
            order = _sell(locked, plan, now)
        locked.save(update_fields=["cash", "updated_at"])
        _snapshot(locked, now)
    logger.info(
        "paper %s %s %s @ %s in portfolio %s (%s)",
        plan.action,
        order.quantity,
        plan.symbol,
        order.price,
        locked.pk,
        plan.source,
    )
    return order, True


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
