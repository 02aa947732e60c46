"""Paper orders: exact money, buys of 10% of cash, sells that close, trade log rows, idempotency."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.portfolio.models import Order, Portfolio, TradeLog
from apps.portfolio.services import IdempotencyConflict, order_place, portfolio_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_buy_spends_ten_percent_including_the_fee(user, btc_candles_fresh):
    order, created = order_place(owner=user, symbol="BTCUSDT", action="buy", price="20000")
    p = Portfolio.objects.get(owner=user)
    assert created and p.cash == Decimal("9000.00000000")
    assert order.notional + order.fee == Decimal("1000.00000000")
    assert abs(order.fee - order.notional * Decimal("0.001")) <= Decimal("0.00000001")
    assert order.quantity == (order.notional / Decimal(20000)).quantize(
        Decimal("0.000000000001"), rounding="ROUND_DOWN"
    )
    pos = p.positions.get()
    assert pos.quantity == order.quantity and pos.cost == Decimal("1000.00000000")


def test_sell_closes_the_position_and_logs_the_round_trip(user, btc_candles_fresh):
    order_place(
        owner=user,
        symbol="BTCUSDT",
        action="buy",
        price="20000",
        confidence=0.8,
        strategy_name="RSI dip",
    )
    sell, _ = order_place(owner=user, symbol="BTCUSDT", action="sell", price="22000")
    p = Portfolio.objects.get(owner=user)
    assert not p.positions.exists()
    expected_proceeds = sell.notional - sell.fee
    assert p.cash == Decimal("9000") + expected_proceeds
    t = TradeLog.objects.get()
    assert (
        t.result == "win"
        and t.position_type == "long"
        and t.strategy_name == "RSI dip"
        and t.confidence == 0.8
    )
    assert t.pnl == expected_proceeds - Decimal("1000")
    assert t.roi == pytest.approx(float(t.pnl / Decimal(1000) * 100))
    assert t.entry_price == Decimal("20000") and t.exit_price == Decimal("22000")
    assert t.fees == Order.objects.get(action="buy").fee + sell.fee
    assert t.drawdown >= 0 and t.duration.total_seconds() >= 0


def test_default_price_is_the_latest_close(user, btc_candles_fresh):
    from apps.marketdata.models import Candle

    last = Candle.objects.filter(symbol__name="BTCUSDT").latest("open_time").open_time
    order, _ = order_place(owner=user, symbol="BTCUSDT", action="buy")
    assert order.price == Decimal("37388.05") and order.price_source.startswith(
        f"close of 1h candle {last:%Y-%m-%d %H:%M}"
    )
    assert order.market_time == last + timedelta(hours=1)  # the close it used


def test_refusals_name_the_field(user, btc_candles_fresh):
    cases = [
        (dict(symbol="BTCUSDT", action="sell"), "action"),
        (dict(symbol="NOPE", action="buy"), "symbol"),
        (dict(symbol="BTCUSDT", action="buy", price="0"), "price"),
        (dict(symbol="BTCUSDT", action="buy", price="-3"), "price"),
        (dict(symbol="BTCUSDT", action="hold"), "action"),
        (dict(symbol="BTCUSDT", action="buy", confidence=1.5), "confidence"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            order_place(owner=user, **kwargs)
        assert field in exc.value.message_dict, kwargs
    assert not Order.objects.exists()


def test_cash_runs_out_cleanly(user, btc_candles_fresh):
    p = portfolio_create(owner=user, name="tiny", initial_cash="0.05", buy_fraction="1")
    order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="buy", price="100")
    with pytest.raises(ValidationError, match="not enough cash"):
        order_place(owner=user, portfolio=p, symbol="BTCUSDT", action="buy", price="100")
    p.refresh_from_db()
    assert p.cash == Decimal("0")


def test_idempotency_key_replays_or_conflicts(user, btc_candles_fresh):
    a, created_a = order_place(
        owner=user, symbol="BTCUSDT", action="buy", price="20000", idempotency_key="k1"
    )
    b, created_b = order_place(
        owner=user, symbol="BTCUSDT", action="buy", price="20000", idempotency_key="k1"
    )
    assert created_a and not created_b and a.pk == b.pk and Order.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        order_place(owner=user, symbol="BTCUSDT", action="buy", price="21000", idempotency_key="k1")


def test_api_orders_and_isolation(user_client, other_user, btc_candles_fresh, client_for):
    r = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "20000"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert r.status_code == 201
    again = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "20000"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    conflict = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert conflict.status_code == 422
    state = user_client.get("/api/portfolio/").json()
    assert state["cash"] == "9000.00000000" and state["positions"][0]["symbol"] == "BTCUSDT"
    pid = state["id"]
    other = client_for(other_user)
    assert other.get(f"/api/portfolio/?portfolio={pid}").status_code == 404
    assert other.get(f"/api/portfolio/orders/?portfolio={pid}").status_code == 404
    bad = other.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "portfolio": pid},
        format="json",
    )
    assert bad.status_code == 400 and "portfolio" in bad.json()
    assert other.get("/api/portfolio/orders/").json()["count"] == 0
    assert Portfolio.objects.get(pk=pid).cash == Decimal("9000")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "buy"}, "symbol"),
        ({"symbol": "BTCUSDT", "action": "short"}, "action"),
        ({"symbol": "BTCUSDT", "action": "buy", "price": "0"}, "price"),
        ({"symbol": "BTCUSDT", "action": "buy", "price": "abc"}, "price"),
        ({"symbol": "BTCUSDT", "action": "buy", "confidence": 2}, "confidence"),
        ({"symbol": "BTCUSDT", "action": "sell"}, "action"),
        ({"symbol": "ZZZ", "action": "buy"}, "symbol"),
    ],
)
def test_api_bad_orders_are_400(user_client, btc_candles_fresh, payload, field):
    r = user_client.post("/api/portfolio/orders/", payload, format="json")
    assert r.status_code == 400 and field in r.json()


def test_performance_and_reset(user_client, btc_candles_fresh):
    for buy, sell in [("20000", "22000"), ("22000", "21000"), ("21000", "21000")]:
        user_client.post(
            "/api/portfolio/orders/",
            {"symbol": "BTCUSDT", "action": "buy", "price": buy, "strategy_name": "S"},
            format="json",
        )
        user_client.post(
            "/api/portfolio/orders/",
            {"symbol": "BTCUSDT", "action": "sell", "price": sell},
            format="json",
        )
    perf = user_client.get("/api/portfolio/performance/").json()
    row = perf["by_symbol"][0]
    assert row["symbol"] == "BTCUSDT" and row["total_trades"] == 3
    assert row["win_rate"] == pytest.approx(1 / 3, abs=1e-6) and row["loss_rate"] == pytest.approx(
        2 / 3, abs=1e-6
    )
    health = perf["strategy_health"][0]
    assert health["strategy_name"] == "S" and health["count"] == 3
    trades = user_client.get("/api/portfolio/trades/").json()
    assert trades["count"] == 3 and trades["results"][0]["exit_price"] == "21000.00000000"
    reset = user_client.post("/api/portfolio/reset/").json()
    assert (
        reset["cash"] == "10000.00000000"
        and reset["positions"] == []
        and reset["trades_count"] == 0
    )


def test_portfolio_page_places_orders_and_shows_the_log(client, user, btc_candles_fresh):
    client.force_login(user)
    r = client.post("/portfolio/", {"symbol": "BTCUSDT", "action": "buy", "price": "20000"})
    assert r.status_code == 302
    client.post(
        "/portfolio/",
        {
            "symbol": "BTCUSDT",
            "action": "sell",
            "price": "19000",
            "portfolio": Portfolio.objects.get(owner=user).pk,
        },
    )
    html = client.get("/portfolio/").content.decode()
    assert 'id="trade-log"' in html and "loss" in html and "9,8" not in html
    bad = client.post("/portfolio/", {"symbol": "BTCUSDT", "action": "sell"})
    assert bad.status_code == 400 and "nothing to sell" in bad.content.decode()
    assert client.get("/portfolio/?portfolio=999999").status_code == 404


def test_value_history_runs_from_the_start_to_now(user, btc_candles_fresh):
    from django.db.models import F

    from apps.portfolio.models import Portfolio, Snapshot
    from apps.portfolio.selectors import latest_quote, snapshots

    p = portfolio_create(owner=user, name="history")
    # Points are in milliseconds and one instant draws one point: on a fast machine the
    # start, the order and "now" can share a millisecond, so set them apart as in real use.
    Portfolio.objects.filter(pk=p.pk).update(created_at=F("created_at") - timedelta(hours=2))
    p.refresh_from_db()
    empty = snapshots(portfolio=p)
    assert [pt["total"] for pt in empty] == [10000.0, 10000.0]  # a flat line, not nothing
    order, _ = order_place(owner=user, symbol="BTCUSDT", action="buy", price="20000", portfolio=p)
    Snapshot.objects.filter(portfolio=p).update(time=F("time") - timedelta(hours=1))
    p.refresh_from_db()
    history = snapshots(portfolio=p)
    assert len(history) == 3 and history == sorted(history, key=lambda pt: pt["time_epoch_s"])
    assert history[0]["total"] == 10000.0 and history[1]["cash"] == 9000.0
    # Now: the position marked at the latest close (the file's last candle), not at entry.
    last = latest_quote("BTCUSDT").price
    assert history[-1]["total"] == pytest.approx(9000 + float(order.quantity * last), abs=1e-6)
