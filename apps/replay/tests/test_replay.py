"""Replay sessions on the shipped real candles: stepping makes decisions and fills with
market times, and agrees with the desk backtest over the same window; controls, the tick,
isolation, bad input and the live endpoint."""

from datetime import UTC, datetime

import numpy as np
import pytest
from rest_framework.test import APIClient

from apps.agents.services import agent_create
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import candles_import
from apps.portfolio.models import Order, TradeLog
from apps.portfolio.selectors import agent_track_records, trade_log_list
from apps.replay.models import ReplayCandidate, ReplaySession, ReplayStep
from apps.replay.services import replay_advance, replay_control, replay_create, replay_tick
from apps.strategies.services import strategy_create
from engine.desk import DeskAgent, DeskParams, agent_series, run_desk_backtest
from engine.strategy import parse_strategy

pytestmark = pytest.mark.django_db

START = datetime(2021, 1, 4, tzinfo=UTC)
END = datetime(2021, 1, 16, tzinfo=UTC)
PARAMS = {"top_n": 2, "min_score": 0.3, "buy_fraction": 0.5, "slippage_bps": 5.0}


def _rsi_strategy(symbol: str) -> dict:
    return {
        "symbol": symbol,
        "timeframe": "1h",
        "entry_conditions": [{"indicator": "rsi", "params": {"period": 14}, "condition": "< 45"}],
        "exit_conditions": [{"indicator": "rsi", "params": {"period": 14}, "condition": "> 55"}],
    }


@pytest.fixture
def desk(user, btc_candles, eth_1h_path):
    record = candles_import(source=eth_1h_path, symbol="ETHUSDT", interval="1h")
    assert record.status == "succeeded", record.error
    agents = []
    for symbol in ("BTCUSDT", "ETHUSDT"):
        s = strategy_create(owner=user, definition=_rsi_strategy(symbol), name=f"rsi {symbol}")
        agents.append(agent_create(owner=user, symbol=symbol, strategy=s))
    return agents


def _session(user, agents, **kw) -> ReplaySession:
    return replay_create(
        owner=user,
        name="test",
        agent_ids=[a.pk for a in agents],
        start=kw.pop("start", START),
        end=kw.pop("end", END),
        bars_per_step=kw.pop("bars_per_step", 40),
        params=kw.pop("params", PARAMS),
        **kw,
    )


def _run_to_end(session) -> None:
    for _ in range(session.times_total + 1):
        if not replay_advance(session_id=session.pk):
            break
    session.refresh_from_db()


def test_stepping_decides_and_fills_at_market_times_like_the_desk_backtest(user, desk):
    session = _session(user, desk)
    # Both agents' bars close on the same hours: one decision time per hour of the window.
    assert session.status == "ready" and session.times_total == 12 * 24 + 1
    replay_control(session=session, action="step")
    session.refresh_from_db()
    assert session.status == "paused" and session.steps_done == 40
    # The clock is the 40th decision time: the close of the 40th bar of the window.
    assert session.clock == datetime(2021, 1, 5, 16, tzinfo=UTC)
    _run_to_end(session)
    assert session.status == "finished" and session.steps_done == session.times_total
    orders = list(Order.objects.filter(portfolio=session.portfolio).order_by("market_time", "id"))
    assert orders, "an RSI 45/55 desk over 12 days of BTC and ETH trades"
    for o in orders:
        # Filled at a candle's open, decided at the close of the bar before it.
        assert o.decided_at is not None and o.market_time >= o.decided_at
        assert o.source == "motherai" and START <= o.market_time <= END
        c = ReplayCandidate.objects.get(session=session, order=o)
        assert c.fill_at == o.market_time and c.market_time == o.decided_at

    # The desk backtest over the same window makes the same decisions and fills.
    params = DeskParams(**PARAMS, seeds=0)
    inputs = []
    for a in sorted(desk, key=lambda a: a.pk):
        candles = candles_frame(symbol=a.symbol, interval="1h", end=END)
        s = agent_series(parse_strategy(a.strategy_version.normalized), candles, interval="1h")
        inputs.append(DeskAgent(a.pk, a.name, a.symbol, "1h", candles, s.action, s.confidence))
    result = run_desk_backtest(inputs, params, start=START, end=END)
    audit = result.desk.audit
    cands = list(
        ReplayCandidate.objects.filter(session=session)
        .exclude(action="hold")
        .order_by("market_time", "agent__agent_id")
    )
    assert len(cands) == len(audit["time_ms"])
    for c, t, ag, sc, st in zip(
        cands, audit["time_ms"], audit["agent"], audit["score"], audit["status"], strict=True
    ):
        assert int(c.market_time.timestamp() * 1000) == t
        assert c.agent.agent_id == inputs[ag].agent_id
        assert c.score == pytest.approx(sc, abs=1e-9) and c.status == st
    tr = result.desk.trades
    buys = [o for o in orders if o.action == "buy"]
    assert len(buys) == len(tr["entry_filled_ms"])
    for o, filled, px in zip(buys, tr["entry_filled_ms"], tr["entry_price"], strict=True):
        assert int(o.market_time.timestamp() * 1000) == filled
        assert float(o.price) == pytest.approx(px, rel=1e-12)
    # Equity per decision time: the same up to the portfolio's cent-exact rounding.
    equity = [s.equity for s in ReplayStep.objects.filter(session=session).order_by("seq")]
    assert np.allclose(equity, result.desk.equity, rtol=1e-6)
    assert TradeLog.objects.filter(portfolio=session.portfolio).count() == int(
        (tr["exit_filled_ms"] >= 0).sum()
    )
    # A replay is history: its round trips are not the agents' live track record, nor the
    # live trade log.
    assert TradeLog.objects.filter(portfolio=session.portfolio).exists()
    assert agent_track_records([a.pk for a in desk]) == {a.pk: (0, 0) for a in desk}
    assert not trade_log_list(owner=user).exists()
    assert not session.portfolio.is_default


def test_pause_resume_stop_and_the_tick(user, desk):
    session = _session(user, desk, bars_per_step=5, step_seconds=3600)
    assert replay_tick() == 0  # ready: the clock does not move
    replay_control(session=session, action="start")
    # Beat's task sends replay.step per due session (in-process here: no broker).
    from django.conf import settings

    from apps.replay.tasks import replay_tick_task

    assert settings.CELERY_BEAT_SCHEDULE["replay-tick"]["task"] == "replay.tick"
    assert replay_tick_task() == 1
    session.refresh_from_db()
    assert session.steps_done == 5 and session.status == "running"
    # A second tick within the step interval (or a duplicate) does nothing.
    assert replay_advance(session_id=session.pk, due_only=True) == 0
    replay_control(session=session, action="pause")
    ReplaySession.objects.filter(pk=session.pk).update(last_step_at=None)
    assert replay_tick() == 0
    replay_control(session=session, action="resume")
    replay_control(session=session, action="stop")
    assert replay_advance(session_id=session.pk) == 0
    session.refresh_from_db()
    assert session.status == "stopped" and session.steps_done == 5
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        replay_control(session=session, action="resume")
    assert "action" in exc.value.message_dict


def _client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _body(who, **kw):
    body = {
        "agents": [a.pk for a in who],
        "start": "2021-01-04T00:00:00Z",
        "end": "2021-01-12T00:00:00Z",
        "bars_per_step": 30,
        **PARAMS,
    }
    body.update(kw)
    return body


def test_api_create_step_live_and_isolation(user, other_user, desk):
    c = _client(user)
    r = c.post("/api/replay/sessions/", _body(desk), format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["status"] == "ready" and len(r.json()["agents"]) == 2
    for _ in range(4):
        assert c.post(f"/api/replay/sessions/{pk}/step/").status_code == 200
    live = c.get(f"/api/replay/sessions/{pk}/live/").json()
    assert live["steps_done"] == 120 and live["clock"] == "2021-01-09T00:00:00Z"
    # Money as decimal strings, as everywhere in the API; the curve is chart data (numbers).
    assert all(len(live[k].split(".")[1]) == 8 for k in ("cash", "equity"))
    assert float(live["equity"]) == pytest.approx(live["curve"][-1]["equity"], abs=5e-9)
    assert (
        len(live["curve"]) == 120
        and live["curve"][0]["time_epoch_s"] < live["curve"][-1]["time_epoch_s"]
    )
    assert live["decisions"] and all(d["market_time"] <= live["clock"] for d in live["decisions"])
    assert live["fills"] and all(f["market_time"] <= live["clock"] for f in live["fills"])
    since = c.get(f"/api/replay/sessions/{pk}/live/?since=100").json()
    assert [p["seq"] for p in since["curve"]] == list(range(101, 120))
    assert c.get(f"/api/replay/sessions/{pk}/live/?since=x").status_code == 400
    steps = c.get(f"/api/replay/sessions/{pk}/steps/").json()
    assert steps["count"] == 120 and "candidates" in steps["results"][0]
    # Money as decimal strings, 8 places.
    assert all(len(steps["results"][0][k].split(".")[1]) == 8 for k in ("cash", "equity"))
    assert c.post(f"/api/replay/sessions/{pk}/pause/").status_code == 400
    assert c.post(f"/api/replay/sessions/{pk}/start/").json()["status"] == "running"
    assert c.post(f"/api/replay/sessions/{pk}/fly/").status_code == 404

    bob = _client(other_user)
    for url in ("", "live/", "steps/"):
        assert bob.get(f"/api/replay/sessions/{pk}/{url}").status_code == 404
    for action in ("step", "pause", "stop"):
        assert bob.post(f"/api/replay/sessions/{pk}/{action}/").status_code == 404
    assert bob.get("/api/replay/sessions/").json()["count"] == 0
    # Bob cannot replay Alice's agents either.
    r = bob.post("/api/replay/sessions/", _body(desk), format="json")
    assert r.status_code == 400 and "agents" in r.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agents": []}, "agents"),
        ({"start": "2030-01-01T00:00:00Z", "end": "2030-02-01T00:00:00Z"}, "start"),
        ({"end": "2021-01-01T00:00:00Z"}, "end"),
        ({"top_n": 0}, "top_n"),
        ({"min_score": 1.5}, "min_score"),
        ({"alpha": 0.9}, "alpha"),
        ({"bars_per_step": 0}, "bars_per_step"),
        ({"fee_rate": 0.0000001}, "fee_rate"),
        ({"top_n": "x"}, "top_n"),
    ],
)
def test_bad_input_is_400_naming_the_field(user, desk, change, field):
    r = _client(user).post("/api/replay/sessions/", _body(desk, **change), format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not ReplaySession.objects.exists()


def test_a_model_trained_on_the_window_is_refused(user, desk):
    from apps.ml.models import TrainedModel

    model = TrainedModel.objects.create(
        owner=user,
        symbol="BTCUSDT",
        interval="1h",
        status="succeeded",
        train_window=["2020-09-01T00:00:00Z", "2021-01-06T00:00:00Z"],
    )
    btc = desk[0]
    btc.model = model
    btc.save(update_fields=["model"])
    r = _client(user).post("/api/replay/sessions/", _body(desk), format="json")
    assert r.status_code == 400
    (message,) = r.json()["agents"]
    assert btc.name in message and "2021-01-06 00:00" in message
    # From the first candle after the training window the model may trade.
    ok = _client(user).post(
        "/api/replay/sessions/", _body(desk, start="2021-01-06T01:00:00Z"), format="json"
    )
    assert ok.status_code == 201, ok.json()


def test_the_demo_session_trades_within_its_first_minute(user, desk):
    from apps.ml.models import TrainedModel
    from apps.replay.selectors import series_span
    from apps.replay.services import DEMO_SPEED, _demo_window, replay_demo_start

    # A model trained up to May 2021 moves the window after its training.
    model = TrainedModel(
        symbol="ETHUSDT", interval="1h", train_window=["x", "2021-05-01T00:00:00Z"]
    )
    desk[1].model = model
    _, start, _ = _demo_window(desk)
    assert start == datetime(2021, 5, 1, 1, tzinfo=UTC)
    desk[1].model = None
    session = replay_demo_start(user)
    assert session.status == "running" and session.step_seconds == DEMO_SPEED["step_seconds"]
    assert replay_demo_start(user).pk == session.pk  # idempotent
    # Both agents' data end on the same hour: the window ends there, both trade in it.
    assert session.agents.count() == 2
    assert session.end == series_span(symbol="BTCUSDT", interval="1h")[1]
    per_minute = int(60 / session.step_seconds) * session.bars_per_step
    for _ in range(per_minute):
        replay_advance(session_id=session.pk)
    assert Order.objects.filter(portfolio=session.portfolio).exists()
    assert ReplayCandidate.objects.filter(session=session, status=0).exists()
