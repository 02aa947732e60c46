"""Money is exact on both databases (issue 12, finding 5).

`make test` runs this file on the embedded SQLite; `make test-services` runs it again on
PostgreSQL (same assertions), and the `services` test at the end states which database
it ran on. Bounds: apps/portfolio/money.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.db.models import Max, Min, Sum

from apps.marketdata.tests.factories import CandleFactory
from apps.portfolio.models import Order, Portfolio, Position, Snapshot, TradeLog
from apps.portfolio.money import CASH_MAX, PRICE_MAX
from apps.portfolio.services import order_place, portfolio_create
from apps.portfolio.tests.factories import TradeLogFactory

pytestmark = pytest.mark.django_db

# 18 integer digits and 8 places, and the values the issue saw rounded.
AMOUNTS = [
    "12345678.12345678",
    "99999999.99999999",
    "999999999999999999.99999999",
    "123456789012345678.00000001",
    "0.00000001",
]
QUANTITIES = ["123456789012345678.12345678", "0.000000000001", "999999999999999999.999999999999"]


def _trade(portfolio: Portfolio, pnl: str, **fields) -> TradeLog:
    return TradeLogFactory(portfolio=portfolio, pnl=Decimal(pnl), **fields)


def test_amounts_round_trip_exactly_at_18_integer_digits_and_8_places(user):
    for i, amount in enumerate(AMOUNTS):
        p = Portfolio.objects.create(
            owner=user, name=f"p{i}", initial_cash=Decimal(amount), cash=Decimal(amount)
        )
        p.refresh_from_db()
        assert (f"{p.initial_cash:f}", f"{p.cash:f}") == (amount, amount)
        _trade(p, f"-{amount}")
        assert f"{TradeLog.objects.get(portfolio=p).pnl:f}" == f"-{amount}"
    now = datetime.now(UTC)
    for quantity in QUANTITIES:
        order = Order.objects.create(
            portfolio=p,
            symbol="BTCUSDT",
            action="buy",
            quantity=Decimal(quantity),
            price=Decimal(AMOUNTS[2]),
            notional=Decimal(AMOUNTS[3]),
            fee=Decimal(AMOUNTS[4]),
            cash_after=Decimal(AMOUNTS[0]),
            price_source="given",
            market_time=now,
        )
        order.refresh_from_db()
        assert order.quantity == Decimal(quantity)
        assert [
            f"{order.price:f}",
            f"{order.notional:f}",
            f"{order.fee:f}",
            f"{order.cash_after:f}",
        ] == [
            AMOUNTS[2],
            AMOUNTS[3],
            AMOUNTS[4],
            AMOUNTS[0],
        ]


def test_portfolio_create_keeps_18_integer_digits_through_the_api(user_client):
    r = user_client.post(
        "/api/portfolio/portfolios/",
        {"name": "big", "initial_cash": "999999999999999999.99999999"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["cash"] == r.json()["initial_cash"] == "999999999999999999.99999999"
    over = user_client.post(
        "/api/portfolio/portfolios/",
        {"name": "over", "initial_cash": "1000000000000000000"},
        format="json",
    )
    assert over.status_code == 400 and list(over.json()) == ["initial_cash"]


def test_sql_comparisons_order_by_min_and_max_are_numeric(user):
    p = portfolio_create(owner=user, name="order")
    values = ["-10.5", "-5", "-0.00000001", "0", "0.5", "9", "10", "123456789012345678.5"]
    for v in reversed(values):
        _trade(p, v)
    ordered = list(
        TradeLog.objects.filter(portfolio=p).order_by("pnl").values_list("pnl", flat=True)
    )
    assert ordered == [Decimal(v) for v in values]
    assert TradeLog.objects.filter(portfolio=p, pnl__lt=0).count() == 3
    assert TradeLog.objects.filter(portfolio=p, pnl__gt=Decimal("9.5")).count() == 2
    assert TradeLog.objects.filter(portfolio=p).aggregate(lo=Min("pnl"), hi=Max("pnl")) == {
        "lo": Decimal("-10.5"),
        "hi": Decimal("123456789012345678.5"),
    }


def test_sql_sum_is_exact_on_postgresql_and_refused_loudly_on_sqlite(user):
    p = portfolio_create(owner=user, name="sum")
    for v in ["123456789012345678.12345678", "-0.00000001"]:
        _trade(p, v)
    query = TradeLog.objects.filter(portfolio=p)
    if connection.vendor == "sqlite":
        # SQLite would sum the text as REAL; an inexact amount must not be read back.
        with pytest.raises(DataError):
            query.aggregate(total=Sum("pnl"))
    else:
        assert query.aggregate(total=Sum("pnl"))["total"] == Decimal("123456789012345678.12345677")


def test_check_constraints_still_hold(user):
    p = portfolio_create(owner=user, name="checks")
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 IntegrityError on both
        Portfolio.objects.filter(pk=p.pk).update(cash=Decimal("-0.00000001"))
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        Portfolio.objects.filter(pk=p.pk).update(buy_fraction=Decimal("1.0001"))
    Portfolio.objects.filter(pk=p.pk).update(cash=Decimal("0"))  # zero is allowed
    now = datetime.now(UTC)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        Position.objects.create(
            portfolio=p,
            symbol="X",
            quantity=Decimal("0"),
            avg_price=Decimal("1"),
            cost=Decimal("1"),
            opened_at=now,
        )
    Position.objects.create(
        portfolio=p,
        symbol="X",
        quantity=Decimal("0.000000000001"),
        avg_price=Decimal("1"),
        cost=Decimal("1"),
        opened_at=now,
    )


def test_cash_after_is_the_portfolio_cash_and_everything_reconciles(user):
    p = portfolio_create(
        owner=user,
        name="awkward",
        initial_cash="12345678.12345678",
        buy_fraction="0.3333",
        fee_rate="0.00075",
    )
    steps = [
        ("BTCUSDT", "buy", "23456.78901234"),
        ("BTCUSDT", "buy", "0.00000001"),
        ("ETHUSDT", "buy", "1234.5678"),
        ("BTCUSDT", "sell", "0.00123457"),
        ("ETHUSDT", "sell", "0.00000003"),
        ("BTCUSDT", "buy", "999999999999.99999999"),
    ]
    for symbol, action, price in steps:
        order, _ = order_place(owner=user, portfolio=p, symbol=symbol, action=action, price=price)
        order.refresh_from_db()
        p.refresh_from_db()
        assert order.cash_after == p.cash
        assert order.price == Decimal(price)
        assert Snapshot.objects.filter(portfolio=p).latest("time", "id").cash == p.cash
    cash = p.initial_cash
    for o in Order.objects.filter(portfolio=p).order_by("created_at", "id"):
        cash = cash - (o.notional + o.fee) if o.action == "buy" else cash + (o.notional - o.fee)
        assert o.cash_after == cash
    assert cash == p.cash
    trades = TradeLog.objects.filter(portfolio=p)
    assert trades.count() == 2
    for t in trades:
        assert t.exit_order.notional - t.exit_order.fee - t.pnl == sum(
            (
                o.notional + o.fee
                for o in Order.objects.filter(portfolio=p, symbol=t.symbol).filter(
                    action="buy", created_at__lte=t.exit_order.created_at, id__lt=t.exit_order.id
                )
            ),
            start=Decimal(0),
        )


def test_a_buy_at_the_smallest_price_is_exact(user_client):
    r = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "0.00000001"},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    # 10% of 10000 spent, fee 0.1% inside it: 1000 / 1.001 = 999.00099900 of notional.
    assert body["notional"] == "999.00099900" and body["fee"] == "0.99900100"
    assert Decimal(body["quantity"]) == Decimal("99900099900")
    assert body["cash_after"] == "9000.00000000"


@pytest.mark.parametrize(
    "price",
    ["99999999999999999999", "1000000000000000000", "0.000000001", "0", "-1", "1e400"],
)
def test_a_price_beyond_the_bounds_is_a_400_naming_price_api(user_client, price):
    user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "0.00000001"},
        format="json",
    )
    r = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "price": price},
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["price"], r.content
    assert Position.objects.filter(symbol="BTCUSDT").count() == 1


def test_a_sale_that_would_pass_the_cash_bound_is_a_400_and_writes_nothing(user_client, user):
    user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "0.00000001"},
        format="json",
    )
    portfolio = Portfolio.objects.get(owner=user)
    cash = portfolio.cash
    r = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "price": str(PRICE_MAX)},
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["price"], r.content
    assert str(CASH_MAX) in r.json()["price"][0]
    portfolio.refresh_from_db()
    assert portfolio.cash == cash and Order.objects.filter(portfolio=portfolio).count() == 1
    assert Position.objects.filter(portfolio=portfolio).count() == 1
    ok = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "price": "1000000"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    portfolio.refresh_from_db()
    assert ok.json()["cash_after"] == str(portfolio.cash)


def test_a_buy_that_would_pass_the_quantity_bound_is_a_400_naming_price(user):
    p = portfolio_create(owner=user, name="whale", initial_cash=str(CASH_MAX), buy_fraction="1")
    with pytest.raises(Exception) as exc:
        order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="buy", price="0.00000001")
    assert list(exc.value.message_dict) == ["price"]
    p.refresh_from_db()
    assert p.cash == CASH_MAX and not Order.objects.filter(portfolio=p).exists()


def test_a_latest_close_beyond_the_bounds_is_a_400_naming_price(user_client):
    CandleFactory(symbol__name="HUGEUSDT", close=1e25)
    r = user_client.post(
        "/api/portfolio/orders/", {"symbol": "HUGEUSDT", "action": "buy"}, format="json"
    )
    assert r.status_code == 400 and list(r.json()) == ["price"], r.content
    assert "latest close" in r.json()["price"][0]


@pytest.mark.parametrize("price", ["99999999999999999999", "0.000000001"])
def test_a_price_beyond_the_bounds_is_a_400_naming_price_page(client, user, price):
    client.force_login(user)
    r = client.post("/portfolio/", {"symbol": "BTCUSDT", "action": "buy", "price": price})
    assert r.status_code == 400
    form = r.context["form"]
    assert list(form.errors) == ["price"]
    assert not Order.objects.exists()


def test_state_and_performance_sums_are_exact(user_client, user):
    p = portfolio_create(owner=user, name="sums", initial_cash="999999999999999999.99999999")
    order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="buy", price="0.12345679")
    order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="sell", price="0.12345678")
    order_place(owner=user, portfolio=p, symbol="ETHUSDT", action="buy", price="3.00000001")
    p.refresh_from_db()
    state = user_client.get(f"/api/portfolio/?portfolio={p.pk}").json()
    eth = Position.objects.get(portfolio=p, symbol="ETHUSDT")
    value = (eth.quantity * eth.avg_price).quantize(Decimal("0.00000001"))
    assert state["cash"] == str(p.cash)
    assert Decimal(state["total_value"]) == p.cash + value
    trade = TradeLog.objects.get(portfolio=p)
    assert trade.pnl < 0
    buy, sell = Order.objects.filter(portfolio=p, symbol="BTCUSDT").order_by("id")
    assert trade.pnl == (sell.notional - sell.fee) - (buy.notional + buy.fee)


@pytest.mark.services
def test_the_same_round_trips_hold_on_postgresql(user):
    assert connection.vendor == "postgresql"
    test_amounts_round_trip_exactly_at_18_integer_digits_and_8_places(user)
    test_sql_sum_is_exact_on_postgresql_and_refused_loudly_on_sqlite(user)


def test_a_strategy_s_total_paper_pnl_is_an_exact_sum(user):
    from apps.backtests.report import strategy_performance
    from apps.strategies.tests.factories import StrategyFactory

    strategy = StrategyFactory(owner=user, name="exact")
    p = portfolio_create(owner=user, name="pnl")
    # The largest amounts a column holds: their sum has 29 digits, which Python's sum()
    # under the default 28-digit context rounds to 100000000000000000000.0000000.
    for pnl in ["99999999999999999999.99999999", "0.00000003"]:
        _trade(p, pnl, strategy_name="exact")
    assert strategy_performance(strategy=strategy)["paper"]["total_pnl"] == (
        "100000000000000000000.00000002"
    )


def test_a_portfolio_worth_more_than_a_column_holds_refuses_the_order_and_still_shows(
    user_client, user
):
    p = portfolio_create(owner=user, name="jump", initial_cash=str(CASH_MAX), buy_fraction="0.5")
    order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="buy", price="1")
    # The market then jumps 1000x: 5e17 units are worth 5e20, past the columns' 1e20.
    CandleFactory(symbol__name="BTCUSDT", close=1000.0)
    r = user_client.post(
        f"/api/portfolio/orders/?portfolio={p.pk}",
        {"symbol": "ETHUSDT", "action": "buy", "price": "1"},
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["price"], r.content
    assert "worth" in r.json()["price"][0]
    assert Order.objects.filter(portfolio=p).count() == 1
    state = user_client.get(f"/api/portfolio/?portfolio={p.pk}")
    assert state.status_code == 200
    assert Decimal(state.json()["positions_value"]) > Decimal("1e20")


def test_the_admin_refuses_an_initial_cash_past_the_bound(user):
    from django.core.exceptions import ValidationError

    p = portfolio_create(owner=user, name="admin")
    p.initial_cash = Decimal("1000000000000000000")
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    assert list(exc.value.message_dict) == ["initial_cash"]
