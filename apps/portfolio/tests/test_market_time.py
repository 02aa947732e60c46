"""Paper orders on the market clock (SPEC §7a): a latest close too old to trade on is refused
(400 naming price, with its time and age), and a trade's entry, exit and duration are its
fills' market times, never wall-clock time."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.portfolio.models import Order, TradeLog
from apps.portfolio.services import order_place

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_order_without_price_refuses_a_stale_close(user, user_client, btc_candles):
    with pytest.raises(ValidationError) as exc:
        order_place(owner=user, symbol="BTCUSDT", action="buy")
    (message,) = exc.value.message_dict["price"]
    assert message.startswith("the latest close of BTCUSDT is from 2021-06-10 00:00 UTC, ")
    assert message.endswith(" old; give a price") and "years" in message
    r = user_client.post(
        "/api/portfolio/orders/", {"symbol": "BTCUSDT", "action": "buy"}, format="json"
    )
    assert r.status_code == 400 and r.json()["price"] == [message]
    # With a price the same order is placed, at that price, as of now.
    ok = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "30000"},
        format="json",
    )
    assert ok.status_code == 201 and Order.objects.count() == 1


@pytest.mark.parametrize("stale_bars", [2, 3])
def test_freshness_counts_intervals(user, btc_1h_lines, settings, stale_bars):
    """Last close between 2 and 3 hours ago (two hours before the current hour began):
    fresh with DESK_MAX_STALE_BARS=3, stale with 2."""
    from django.utils import timezone

    from apps.marketdata.services import candles_import
    from conftest import shifted_candle_lines

    settings.DESK_MAX_STALE_BARS = stale_bars
    hour = 3_600_000
    close_ms = int(timezone.now().timestamp() * 1000) // hour * hour - 2 * hour
    source = shifted_candle_lines(btc_1h_lines[-50:], last_close_ms=close_ms, interval_ms=hour)
    assert candles_import(source=source, symbol="BTCUSDT", interval="1h").status == "succeeded"
    if stale_bars == 3:
        order, _ = order_place(owner=user, symbol="BTCUSDT", action="buy")
        assert order.price_source.startswith("close of 1h candle")
    else:
        with pytest.raises(ValidationError) as exc:
            order_place(owner=user, symbol="BTCUSDT", action="buy")
        assert ", 2 hours" in exc.value.message_dict["price"][0]


def test_trade_duration_is_market_time(user_client, btc_candles):
    entry = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)
    exit_ = datetime(2021, 3, 4, 15, 0, tzinfo=UTC)
    buy = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "48000", "market_time": entry.isoformat()},
        format="json",
    )
    assert buy.status_code == 201 and buy.json()["market_time"] == "2021-03-01T12:00:00Z"
    sell = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "price": "50000", "market_time": exit_.isoformat()},
        format="json",
    )
    assert sell.status_code == 201
    (trade,) = user_client.get("/api/portfolio/trades/").json()["results"]
    assert trade["entry_time"] == "2021-03-01T12:00:00Z"
    assert trade["exit_time"] == "2021-03-04T15:00:00Z"
    assert trade["duration_seconds"] == (exit_ - entry).total_seconds()
    assert TradeLog.objects.get().duration_words == "3 days, 3 hours"
    # The drawdown looked at the candles the position was open over, in market time.
    assert trade["drawdown"] > 0


def test_market_time_is_checked(user, btc_candles):
    now = datetime.now(UTC)
    cases = [
        (dict(action="buy", market_time=now + timedelta(days=1), price="1"), "future"),
        (dict(action="buy", market_time=now - timedelta(days=1)), "only with a given price"),
    ]
    for kwargs, words in cases:
        with pytest.raises(ValidationError) as exc:
            order_place(owner=user, symbol="BTCUSDT", **kwargs)
        assert words in exc.value.message_dict["market_time"][0]
    order_place(
        owner=user,
        symbol="BTCUSDT",
        action="buy",
        price="48000",
        market_time=now - timedelta(days=2),
    )
    with pytest.raises(ValidationError) as exc:
        order_place(
            owner=user,
            symbol="BTCUSDT",
            action="sell",
            price="49000",
            market_time=now - timedelta(days=3),
        )
    assert "cannot fill before it" in exc.value.message_dict["market_time"][0]
    assert not TradeLog.objects.exists()
