"""Agents: real confidence (never constant, equal to the model's probability with a model),
targets from risk or ATR, predictions with the original fields, isolation and bad input."""

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from apps.agents.models import Signal
from apps.agents.services import agent_create, agent_evaluate
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import candles_import
from apps.ml.services import model_load, model_train_start
from apps.strategies.services import strategy_create
from engine.ml import predict_proba_up

pytestmark = pytest.mark.django_db(transaction=True)

RSI_ONLY = {
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [{"indicator": "rsi", "condition": "< 45"}],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 55"}],
}


def _agent(user, definition=RSI_ONLY, model=None, symbol="BTCUSDT"):
    strategy = strategy_create(
        owner=user, definition={**definition, "symbol": symbol}, name=f"s-{symbol}-{id(definition)}"
    )
    return agent_create(owner=user, symbol=symbol, strategy=strategy, model=model)


def _series(closes, symbol, user=None):
    idx = pd.date_range("2024-01-01", periods=len(closes), freq="h", tz="UTC")
    lines = []
    prev = closes[0]
    for t, c in zip(idx, closes, strict=True):
        o = prev
        lines.append(
            f"{int(t.value // 10**6)},{o},{max(o, c) * 1.001},{min(o, c) * 0.999},{c},10,0,0,0,0,0,0"
        )
        prev = c
    record = candles_import(source="\n".join(lines).encode(), symbol=symbol, interval="1h")
    assert record.status == "succeeded", record.error


def test_confidence_follows_the_market_state(user):
    # Two markets that end in a dip, one deeper: both buy, with different confidences.
    rng = np.random.default_rng(3)
    base = list(100 + np.cumsum(rng.normal(0, 0.3, 400)))
    _series(base + list(np.linspace(base[-1], base[-1] * 0.97, 12)), "AAAUSDT")
    _series(base + list(np.linspace(base[-1], base[-1] * 0.90, 12)), "BBBUSDT")
    a = agent_evaluate(_agent(user, symbol="AAAUSDT"))
    b = agent_evaluate(_agent(user, symbol="BBBUSDT"))
    assert a.action == b.action == "buy"
    assert a.confidence_source == "signal_strength" and 0 < a.confidence < b.confidence <= 1
    fired = [r for r in b.reasons if r["fired"]]
    assert fired and fired[0]["condition"] == "rsi(14) < 45" and fired[0]["value"] < 45
    assert b.targets_from == "atr" and b.stop_loss < b.entry_price < b.target_price


def test_with_a_model_confidence_is_its_probability(user, btc_candles):
    job = model_train_start(
        owner=user, symbol="BTCUSDT", interval="1h", params={"n_estimators": 20}
    )
    job.refresh_from_db()
    ev = agent_evaluate(_agent(user, model=job))
    p, _ = predict_proba_up(model_load(job), candles_frame(symbol="BTCUSDT", interval="1h"))
    expected = {"buy": p, "sell": 1 - p, "hold": 1 - abs(2 * p - 1)}[ev.action]
    assert ev.confidence_source == "model" and ev.probability_up == pytest.approx(p, abs=1e-6)
    assert ev.confidence == pytest.approx(expected, abs=1e-6)


def test_targets_from_the_strategy_risk(user, btc_candles):
    ev = agent_evaluate(
        _agent(user, {**RSI_ONLY, "risk": {"stop_loss_pct": 2, "take_profit_pct": 5}})
    )
    direction = -1 if ev.action == "sell" else 1
    assert ev.targets_from == "strategy_risk"
    assert ev.target_price == pytest.approx(ev.entry_price * (1 + direction * 0.05))
    assert ev.stop_loss == pytest.approx(ev.entry_price * (1 - direction * 0.02))
    assert ev.candle_time == "2021-06-09T23:00:00Z" and ev.entry_price == 37388.05


def test_predict_and_predictions_api(user_client, user, btc_candles):
    agent = _agent(user)
    r = user_client.get("/api/agents/btcusdt/predict/?store=true")
    assert r.status_code == 200 and r.json()["symbol"] == "BTCUSDT"
    assert Signal.objects.filter(agent=agent).count() == 1
    eth_strategy = strategy_create(
        owner=user, definition={**RSI_ONLY, "symbol": "ETHUSDT"}, name="eth"
    )
    agent_create(owner=user, symbol="ETHUSDT", strategy=eth_strategy)  # no ETH candles imported
    items = {i["symbol"]: i for i in user_client.get("/api/agents/predictions/").json()["results"]}
    btc, eth = items["BTCUSDT"], items["ETHUSDT"]
    assert set(btc) >= {
        "agentName",
        "prediction",
        "confidence",
        "entryPrice",
        "targetPrice",
        "stopLoss",
    }
    assert (
        0 <= btc["confidence"] <= 100
        and btc["prediction"] in ("buy", "sell", "hold")
        and btc["error"] is None
    )
    assert eth["prediction"] is None and "no 1h candles of ETHUSDT" in eth["error"]
    assert user_client.get("/api/agents/ETHUSDT/predict/").status_code == 409
    assert user_client.get("/api/agents/").json()["count"] == 2


def test_agents_are_private_and_input_is_checked(user_client, user, other_user, btc_candles):
    agent = _agent(user)
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.get(f"/api/agents/{agent.pk}/").status_code == 404
    assert other.get("/api/agents/BTCUSDT/predict/").status_code == 404
    assert (
        other.patch(f"/api/agents/{agent.pk}/", {"enabled": False}, format="json").status_code
        == 404
    )
    assert other.delete(f"/api/agents/{agent.pk}/").status_code == 404
    assert other.get("/api/agents/predictions/").json()["results"] == []
    steal = other.post(
        "/api/agents/", {"symbol": "BTCUSDT", "strategy": str(agent.strategy_id)}, format="json"
    )
    assert steal.status_code == 400 and "strategy" in steal.json()
    dup = user_client.post(
        "/api/agents/", {"symbol": "BTCUSDT", "strategy": str(agent.strategy_id)}, format="json"
    )
    assert dup.status_code == 400 and "symbol" in dup.json()
    bad = user_client.post(
        "/api/agents/", {"symbol": "bad symbol", "strategy": str(agent.strategy_id)}, format="json"
    )
    assert bad.status_code == 400 and "symbol" in bad.json()
    assert (
        user_client.patch(f"/api/agents/{agent.pk}/", {"enabled": False}, format="json").json()[
            "enabled"
        ]
        is False
    )
