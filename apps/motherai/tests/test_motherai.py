"""Mother AI: scores, shrinkage, top_n/min_score, reasons, execution into the portfolio once;
live honesty (SPEC §7a): stale signals skipped with their age, only executable actions,
GET previews and stores nothing, POST stores."""

import pytest
from rest_framework.test import APIClient

from apps.agents.services import agent_create
from apps.motherai.services import shrunk_win_rate
from apps.portfolio.models import Order, TradeLog
from apps.strategies.services import strategy_create

pytestmark = pytest.mark.django_db(transaction=True)

ALWAYS_BUY = {
    "symbol": "BTCUSDT",
    "entry_conditions": [{"indicator": "close", "condition": "> ema(20)"}],
    "exit_conditions": [],
}
ALWAYS_ALL = {"symbol": "BTCUSDT", "entry_conditions": [{"indicator": "close", "condition": "> 0"}]}


def test_shrinkage_toward_a_half():
    assert shrunk_win_rate(0, 0, 10) == 0.5
    assert shrunk_win_rate(1, 1, 10) == pytest.approx(6 / 11)
    assert shrunk_win_rate(300, 400, 10) == pytest.approx(305 / 410)


def _setup(user):
    s = strategy_create(owner=user, definition=ALWAYS_ALL, name="always")
    return agent_create(owner=user, symbol="BTCUSDT", strategy=s)


def test_decision_scores_ranks_and_explains(user_client, user, btc_candles_fresh):
    _setup(user)
    d = user_client.post("/api/mother-ai/decision/", {"min_score": 0.2}, format="json").json()
    (c,) = d["candidates"]
    assert c["action"] == "buy" and c["win_rate"] == 0.5 and c["fresh"] is True
    assert c["score"] == pytest.approx(0.6 * c["confidence"] + 0.4 * 0.5, abs=1e-3)
    assert c["taken"] and c["reason"].startswith("taken: rank 1") and d["chosen"] == 1
    assert d["stored"] is True and d["market_time"] == c["market_time"]
    strict = user_client.post(
        "/api/mother-ai/decision/", {"min_score": 0.99}, format="json"
    ).json()["candidates"][0]
    assert not strict["taken"] and "below min_score" in strict["reason"]
    assert user_client.get("/api/mother-ai/decisions/").json()["count"] == 2


def test_execute_places_orders_once_and_trades_are_logged(user_client, user, btc_candles_fresh):
    agent = _setup(user)
    d = user_client.post(
        "/api/mother-ai/decision/", {"min_score": 0.1, "execute": True}, format="json"
    ).json()
    assert d["executed"] and d["candidates"][0]["order"]
    order = Order.objects.get(pk=d["candidates"][0]["order"])
    assert (
        order.source == "motherai" and order.decision_id == d["id"] and order.agent_id == agent.pk
    )
    assert order.decided_at.isoformat().replace("+00:00", "Z") == d["candidates"][0]["market_time"]
    again = user_client.post(f"/api/mother-ai/decisions/{d['id']}/execute/").json()
    assert "already placed" in again["candidates"][0]["execution"] and Order.objects.count() == 1
    from apps.portfolio.services import order_place

    order_place(owner=user, symbol="BTCUSDT", action="sell", price="40000")
    log = TradeLog.objects.get()
    assert log.source == "motherai" and log.agent_id == agent.pk
    trades = user_client.get("/api/mother-ai/trades/").json()
    assert trades["count"] == 1 and trades["results"][0]["symbol"] == "BTCUSDT"
    # The agent's record now feeds its win rate (one win, shrunk).
    c = user_client.get("/api/mother-ai/decision/?min_score=0").json()["candidates"][0]
    assert c["trades"] == 1 and c["win_rate"] == pytest.approx(6 / 11, abs=1e-4)
    assert c["taken"]  # the position is closed, so a buy is executable again


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"top_n": 0}, "top_n"),
        ({"min_score": 1.5}, "min_score"),
        ({"alpha": 0.9}, "alpha"),
        ({"top_n": "x"}, "top_n"),
    ],
)
def test_bad_parameters_are_400(user_client, params, field):
    r = user_client.post("/api/mother-ai/decision/", params, format="json")
    assert r.status_code == 400 and field in r.json()


def test_decisions_are_private(user_client, other_user, user, btc_candles):
    _setup(user)
    d = user_client.post("/api/mother-ai/decision/", {}, format="json").json()
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.get(f"/api/mother-ai/decisions/{d['id']}/").status_code == 404
    assert other.post(f"/api/mother-ai/decisions/{d['id']}/execute/").status_code == 404
    assert other.get("/api/mother-ai/decisions/").json()["count"] == 0
    assert other.get("/api/mother-ai/decision/").json()["candidates"] == []
