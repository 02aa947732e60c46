"""The live Mother AI is honest (SPEC §7a Live): stale signals are skipped with their age,
only executable actions are candidates, ties rank by agent id, a GET is a preview that
stores nothing and a POST stores."""

import pytest
from django.utils import timezone

from apps.agents.models import Signal
from apps.agents.services import agent_create
from apps.marketdata.services import candles_import
from apps.motherai.models import Decision
from apps.motherai.services import decision_execute, decision_make
from apps.portfolio.models import Order
from apps.portfolio.services import order_place
from apps.strategies.services import strategy_create
from conftest import shifted_candle_lines
from engine.desk.rules import ALREADY_HELD, BEYOND_TOP_N, NOT_HELD, STALE, STATUS_TEXT, TAKEN

pytestmark = pytest.mark.django_db(transaction=True)

ALWAYS_BUY = {"entry_conditions": [{"indicator": "close", "condition": "> 0"}]}
ALWAYS_SELL = {
    "entry_conditions": [{"indicator": "close", "condition": "< 0"}],
    "exit_conditions": [{"indicator": "close", "condition": "> 0"}],
}


def _agent(user, definition, symbol="BTCUSDT"):
    s = strategy_create(
        owner=user, definition={**definition, "symbol": symbol}, name=f"{symbol}-{len(definition)}"
    )
    return agent_create(owner=user, symbol=symbol, strategy=s)


def test_a_stale_signal_is_skipped_with_its_age(user, btc_candles):
    _agent(user, ALWAYS_BUY)
    d = decision_make(owner=user, min_score=0.0)
    (c,) = d.candidates
    assert c["action"] == "buy" and c["fresh"] is False and not c["taken"]
    assert c["status"] == STALE and c["market_time"] == "2021-06-10T00:00:00Z"
    assert c["reason"] == (
        f"skipped: {STATUS_TEXT[STALE]} (last candle 2021-06-10 00:00 UTC, {c['age']} old)"
    )
    assert "year" in c["age"] and c["age_bars"] > 24 * 365
    assert d.chosen == 0 and d.market_time.isoformat() == "2021-06-10T00:00:00+00:00"


def test_get_previews_and_stores_nothing_post_stores(user_client, user, btc_candles_fresh):
    _agent(user, ALWAYS_BUY)
    preview = user_client.get("/api/mother-ai/decision/?min_score=0")
    assert preview.status_code == 200
    body = preview.json()
    assert body["stored"] is False and body["id"] is None and body["chosen"] == 1
    assert body["candidates"][0]["taken"] and body["market_time"] is not None
    assert Decision.objects.count() == 0 and Signal.objects.count() == 0
    stored = user_client.post(
        "/api/mother-ai/decision/", {"min_score": 0, "execute": False}, format="json"
    )
    assert stored.status_code == 201 and stored.json()["stored"] is True
    decision = Decision.objects.get()
    assert decision.pk == stored.json()["id"] and decision.market_time is not None
    assert Signal.objects.count() == 1 and Signal.objects.get().market_time == decision.market_time
    # The preview agrees with what was stored: same candidate, same score.
    assert body["candidates"][0]["score"] == decision.candidates[0]["score"]


def test_a_sell_without_a_position_is_not_taken(user, btc_candles_fresh):
    agent = _agent(user, ALWAYS_SELL)
    d = decision_make(owner=user, min_score=0.0)
    (c,) = d.candidates
    assert c["action"] == "sell" and c["fresh"] and not c["taken"] and c["status"] == NOT_HELD
    assert c["reason"] == f"skipped: {STATUS_TEXT[NOT_HELD]}" and d.chosen == 0
    executed = decision_execute(decision=d)
    assert Order.objects.count() == 0 and "order" not in executed.candidates[0]
    # Once the portfolio holds the symbol (a manual buy), the agent's sell is executable.
    order_place(owner=user, symbol="BTCUSDT", action="buy", price="30000")
    d = decision_make(owner=user, min_score=0.0)
    assert d.candidates[0]["taken"] and d.candidates[0]["status"] == TAKEN
    executed = decision_execute(decision=d)
    sell = Order.objects.get(pk=executed.candidates[0]["order"])
    assert sell.action == "sell" and sell.agent_id == agent.pk


def test_a_buy_of_a_held_symbol_is_skipped(user, btc_candles_fresh):
    _agent(user, ALWAYS_BUY)
    order_place(owner=user, symbol="BTCUSDT", action="buy", price="30000")
    d = decision_make(owner=user, min_score=0.0)
    (c,) = d.candidates
    assert not c["taken"] and c["status"] == ALREADY_HELD
    assert c["reason"] == f"skipped: {STATUS_TEXT[ALREADY_HELD]}"


def test_execution_skips_what_the_portfolio_can_no_longer_take(user, btc_candles_fresh):
    _agent(user, ALWAYS_BUY)
    d = decision_make(owner=user, min_score=0.0)
    assert d.chosen == 1
    order_place(owner=user, symbol="BTCUSDT", action="buy", price="30000")  # bought meanwhile
    executed = decision_execute(decision=d)
    c = executed.candidates[0]
    assert c["order"] is None and c["execution"] == f"not placed: {STATUS_TEXT[ALREADY_HELD]}"
    assert Order.objects.filter(source="motherai").count() == 0


def test_ties_rank_by_agent_id(user, btc_1h_lines):
    hour = 3_600_000
    now_ms = int(timezone.now().timestamp() * 1000) // hour * hour
    for symbol in ("BBBUSDT", "AAAUSDT"):
        source = shifted_candle_lines(btc_1h_lines, last_close_ms=now_ms, interval_ms=hour)
        assert candles_import(source=source, symbol=symbol, interval="1h").status == "succeeded"
    first = _agent(user, ALWAYS_BUY, symbol="BBBUSDT")
    second = _agent(user, ALWAYS_BUY, symbol="AAAUSDT")
    d = decision_make(owner=user, top_n=1, min_score=0.0)
    by_agent = {c["agent_id"]: c for c in d.candidates}
    a, b = by_agent[first.pk], by_agent[second.pk]
    assert a["score"] == b["score"] and first.pk < second.pk
    assert a["taken"] and a["rank"] == 1
    assert not b["taken"] and b["rank"] == 2 and b["status"] == BEYOND_TOP_N


def test_a_portfolio_of_another_user_is_refused(user_client, other_user, btc_candles_fresh):
    from apps.portfolio.services import portfolio_get_or_create_default

    theirs = portfolio_get_or_create_default(owner=other_user)
    r = user_client.post("/api/mother-ai/decision/", {"portfolio": theirs.pk}, format="json")
    assert r.status_code == 400 and "portfolio" in r.json()
    r = user_client.get(f"/api/mother-ai/decision/?portfolio={theirs.pk}")
    assert r.status_code == 400 and "portfolio" in r.json()
