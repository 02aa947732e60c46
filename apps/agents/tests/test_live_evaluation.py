"""The live agent is the desk core (SPEC §7a): its evaluation equals engine.desk.evaluate_at
on the same candles, with or without a model; it reads only candles closed by now and
says how old its market time is."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.agents.services import agent_candles, agent_create, agent_evaluate
from apps.ml.services import model_load, model_train_start
from apps.strategies.services import strategy_create
from engine.desk import agent_series, evaluate_at
from engine.ml import predict_proba_up, predict_proba_up_series
from engine.strategy import parse_strategy

pytestmark = pytest.mark.django_db(transaction=True)

DEFINITION = {
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [{"indicator": "rsi", "condition": "< 45"}],
    "exit_conditions": [{"indicator": "macd", "condition": "crosses_below macd.signal"}],
}


def _agent(user, model=None):
    strategy = strategy_create(owner=user, definition=DEFINITION, name="live-eq")
    return agent_create(owner=user, symbol="BTCUSDT", strategy=strategy, model=model)


def _core(agent, now, probability_up=None):
    strategy = parse_strategy(agent.strategy_version.normalized)
    candles = agent_candles(agent, now=now)
    series = agent_series(strategy, candles, interval="1h", probability_up=probability_up)
    return candles, evaluate_at(strategy, candles, series, -1, interval_ms=3_600_000)


def _same(ev, core):
    assert ev.action == core.action
    assert ev.confidence == core.confidence
    assert ev.confidence_source == core.confidence_source
    assert (ev.entry_price, ev.target_price, ev.stop_loss) == (
        core.entry_price,
        core.target_price,
        core.stop_loss,
    )
    assert ev.targets_from == core.targets_from and ev.reasons == core.reasons
    assert ev.market_time == core.to_dict()["market_time"]


@pytest.mark.parametrize("hours_back", [0, 37, 500])
def test_live_evaluation_is_the_desk_core(user, btc_candles, hours_back):
    """As of several moments inside the shipped series, the live service gives the core's
    evaluation of the candles closed by then."""
    agent = _agent(user)
    now = datetime(2021, 6, 10, tzinfo=UTC) - timedelta(hours=hours_back)
    ev = agent_evaluate(agent, now=now)
    candles, core = _core(agent, now)
    _same(ev, core)
    assert candles.index[-1] + timedelta(hours=1) <= now  # only closed candles
    assert ev.fresh and ev.age_bars == 0 and ev.age == "less than a minute"


def test_a_candle_still_open_is_not_used(user, btc_candles):
    agent = _agent(user)
    now = datetime(2021, 6, 9, 12, 30, tzinfo=UTC)
    ev = agent_evaluate(agent, now=now)
    assert ev.candle_time == "2021-06-09T11:00:00Z" and ev.market_time == "2021-06-09T12:00:00Z"
    assert ev.fresh and ev.age == "30 minutes" and ev.age_bars == 0


def test_live_evaluation_with_a_model_is_the_desk_core(user, btc_candles):
    job = model_train_start(
        owner=user, symbol="BTCUSDT", interval="1h", params={"n_estimators": 20}
    )
    job.refresh_from_db()
    agent = _agent(user, model=job)
    now = timezone.now()
    ev = agent_evaluate(agent, now=now)
    model = model_load(job)
    candles = agent_candles(agent, now=now)
    p = predict_proba_up_series(model, candles)
    _, core = _core(agent, now, probability_up=p)
    _same(ev, core)
    # predict_proba_up (the last bar alone) agrees with the series' last value.
    assert predict_proba_up(model, candles)[0] == pytest.approx(p[-1], abs=1e-12)
    assert ev.confidence_source == "model" and ev.probability_up == round(p[-1], 6)


def test_stale_evaluation_in_the_api(user_client, user, btc_candles):
    _agent(user)
    body = user_client.get("/api/agents/BTCUSDT/predict/").json()
    assert body["market_time"] == "2021-06-10T00:00:00Z" and body["fresh"] is False
    assert "year" in body["age"] and body["age_bars"] > 24 * 365
    (item,) = user_client.get("/api/agents/predictions/").json()["results"]
    assert item["fresh"] is False and item["age"] == body["age"]


def test_fresh_evaluation_in_the_api(user_client, user, btc_candles_fresh):
    _agent(user)
    body = user_client.get("/api/agents/BTCUSDT/predict/?store=true").json()
    assert body["fresh"] is True and body["age_bars"] in (0, 1)
    signal = user_client.get(f"/api/agents/{body['agent_id']}/signals/").json()["results"][0]
    assert signal["market_time"] == body["market_time"]
