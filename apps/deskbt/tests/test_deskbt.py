"""Desk backtests through the API and the pages: a run of two agents on the shipped candles
stores what the desk core computes (metrics, curves with the random band, trades, the
audit, paged and filtered), each bad input is a 400 naming its field, a model trained on
the window is refused, another user gets 404s, and a sweep gives one line per combination."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.agents.services import agent_create
from apps.core.jobs import JobStatus, jobs_inline
from apps.deskbt.models import DeskBacktest
from apps.deskbt.services import desk_backtest_execute
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import candles_import
from apps.ml.services import model_train_start
from apps.strategies.services import strategy_create
from engine.desk import DeskAgent, DeskParams, agent_series, run_desk_backtest
from engine.strategy import parse_strategy

pytestmark = pytest.mark.django_db(transaction=True)

RSI_EMA = {
    "indicators": {
        "rsi": {"period": 14, "buy_below": 40, "sell_above": 60},
        "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
    },
}
START, END = "2021-01-01T00:00:00Z", "2021-03-01T00:00:00Z"
LIST = "/api/mother-ai/backtests/"


@pytest.fixture
def eth_candles(db, eth_1h_path):
    record = candles_import(source=eth_1h_path, symbol="ETHUSDT", interval="1h")
    assert record.status == "succeeded", record.error
    return record


@pytest.fixture
def agents(user, btc_candles, eth_candles):
    out = []
    for symbol in ("BTCUSDT", "ETHUSDT"):
        s = strategy_create(owner=user, definition={"symbol": symbol, **RSI_EMA})
        out.append(agent_create(owner=user, symbol=symbol, strategy=s, interval="1h"))
    return out


def _post(client, chosen, **extra):
    payload = {
        "agents": [a.pk for a in chosen],
        "start": START,
        "end": END,
        "min_score": 0.3,
        "seeds": 20,
        **extra,
    }
    return client.post(LIST, payload, format="json")


def _all(client, url):
    rows = []
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"]
    return rows


def test_a_desk_backtest_stores_the_desk_cores_result(user_client, agents):
    r = _post(user_client, agents)
    assert r.status_code == 202, r.json()
    body = r.json()
    assert r["Location"] == body["url"] == reverse("api:deskbt:detail", args=[body["id"]])
    job = user_client.get(body["url"]).json()
    assert job["status"] == "succeeded", job["error"]
    assert [a["agent_id"] for a in job["agents"]] == sorted(a.pk for a in agents)
    assert job["agents"][0]["strategy_version"] == 1
    m = job["metrics"]

    # The same numbers as the desk core on the same candles (no second implementation).
    desk_agents = []
    for a in sorted(agents, key=lambda a: a.pk):
        candles = candles_frame(
            symbol=a.symbol, interval="1h", end=datetime(2021, 3, 1, tzinfo=UTC)
        )
        s = agent_series(parse_strategy(a.strategy_version.normalized), candles, interval="1h")
        desk_agents.append(DeskAgent(a.pk, a.name, a.symbol, "1h", candles, s.action, s.confidence))
    expected = run_desk_backtest(
        desk_agents, DeskParams(min_score=0.3, seeds=20), start=START, end=END
    )
    assert m["desk"] == pytest.approx(expected.metrics["desk"])
    assert m["random"]["p5_final_equity"] == pytest.approx(
        expected.metrics["random"]["p5_final_equity"]
    )
    assert m["desk"]["closed_trades"] > 5
    assert m["random"]["verdict"].split(" ")[0] in {"above", "inside", "below"}

    # Curves: one time axis; the random band's last point is the reported final band.
    c = job["curves"]
    n = len(c["time_epoch_s"])
    assert n > 100 and c["time_epoch_s"] == sorted(c["time_epoch_s"])
    for key in ("desk", "buy_and_hold", "random_mean", "random_p5", "random_p95"):
        assert len(c[key]) == n
    assert [len(a["equity"]) for a in c["agents"]] == [n, n]
    assert c["desk"][-1] == pytest.approx(m["desk"]["final_equity"], abs=1e-3)
    assert c["random_p5"][-1] == pytest.approx(m["random"]["p5_final_equity"], abs=1e-3)
    assert c["random_p95"][-1] == pytest.approx(m["random"]["p95_final_equity"], abs=1e-3)
    assert all(lo <= hi + 1e-9 for lo, hi in zip(c["random_p5"], c["random_p95"], strict=True))

    # Trades: all of them, the closed ones as the metrics count them.
    trades = _all(user_client, reverse("api:deskbt:trades", args=[job["id"]]) + "?page_size=7")
    assert len(trades) == job["trade_rows"] == len(expected.desk.trades["agent"])
    assert sum(not t["open"] for t in trades) == m["desk"]["closed_trades"]
    assert all(t["entry_decided_at"] <= t["entry_filled_at"] for t in trades)

    # The audit: paged, and each filter selects what it says.
    audit_url = reverse("api:deskbt:audit", args=[job["id"]])
    first = user_client.get(audit_url + "?page_size=50").json()
    assert first["count"] == job["audit_rows"] == len(expected.desk.audit["time_ms"]) > 50
    assert len(first["results"]) == 50 and first["previous"] is None and first["next"]
    row = first["results"][0]
    assert row["status"] and row["action"] in {"buy", "sell"} and row["decided_at"] >= START[:19]
    taken = _all(user_client, audit_url + "?taken=1&page_size=500")
    assert len(taken) == m["desk"]["decisions_taken"]
    assert all(t["taken"] and t["status"] == "taken" and t["fill"] for t in taken)
    assert sum(t["fill"] == "filled" and t["action"] == "buy" for t in taken) == len(trades)
    eth = agents[1].pk
    only_eth = user_client.get(f"{audit_url}?agent={eth}&page_size=500").json()
    assert only_eth["count"] > 0 and {r["agent_id"] for r in only_eth["results"]} == {eth}
    ranged = _all(
        user_client,
        f"{audit_url}?start=2021-02-01T00:00:00Z&end=2021-02-10T00:00:00Z&page_size=500",
    )
    assert ranged and all("2021-02-01" <= r["decided_at"] <= "2021-02-10T00:00:00Z" for r in ranged)
    assert len(ranged) < first["count"]
    skipped = [r for r in _all(user_client, audit_url + "?page_size=500") if not r["taken"]]
    assert skipped and all(r["fill"] is None and r["status"] != "taken" for r in skipped)
    assert user_client.get(audit_url + "?page=9999").status_code == 404
    assert user_client.get(audit_url + "?page_size=0").status_code == 400

    # The list is the owner's, paginated.
    listed = user_client.get(LIST).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == job["id"]


def test_a_redelivered_job_is_skipped_and_a_requeued_one_stores_the_same(user_client, agents):
    job_id = _post(user_client, agents, seeds=5).json()["id"]
    before = DeskBacktest.objects.get(pk=job_id)
    assert desk_backtest_execute(job_id) == "skipped"
    DeskBacktest.objects.filter(pk=job_id).update(status=JobStatus.QUEUED)
    assert desk_backtest_execute(job_id) == JobStatus.SUCCEEDED
    after = DeskBacktest.objects.get(pk=job_id)
    assert after.metrics == before.metrics and after.curves == before.curves
    assert bytes(after.audit_npz) == bytes(before.audit_npz) and after.attempts == 2


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"agents": []}, "agents"),
        ({"end": "2020-12-01T00:00:00Z"}, "end"),
        ({"start": "2015-01-01T00:00:00Z", "end": "2015-06-01T00:00:00Z"}, "start"),
        ({"top_n": 0}, "top_n"),
        ({"min_score": 1.5}, "min_score"),
        ({"alpha": 0.7, "beta": 0.4}, "alpha"),
        ({"buy_fraction": 0}, "buy_fraction"),
        ({"seeds": -1}, "seeds"),
        ({"top_n": "3"}, "top_n"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(user_client, agents, extra, field):
    r = _post(user_client, agents, **extra)
    assert r.status_code == 400 and field in r.json(), r.json()
    assert DeskBacktest.objects.count() == 0


def test_someone_elses_agent_is_no_such_agent(user_client, agents, other_user):
    s = strategy_create(owner=other_user, definition={"symbol": "BTCUSDT", **RSI_EMA})
    theirs = agent_create(owner=other_user, symbol="BTCUSDT", strategy=s)
    r = _post(user_client, [agents[0], theirs])
    assert r.status_code == 400 and "no such agent" in str(r.json()["agents"])


def test_a_model_trained_on_the_window_is_refused_and_after_it_the_desk_uses_it(
    user, user_client, agents
):
    with jobs_inline():
        model = model_train_start(
            owner=user,
            symbol="BTCUSDT",
            interval="1h",
            end=datetime(2020, 12, 31, tzinfo=UTC),
            estimator="logistic_regression",
        )
    model.refresh_from_db()
    assert model.status == "succeeded", model.error
    btc = agents[0]
    btc.model = model
    btc.save(update_fields=["model"])
    r = _post(user_client, agents, start="2020-10-01T00:00:00Z")
    assert r.status_code == 400, r.json()
    message = str(r.json()["agents"])
    assert btc.name in message and model.train_window[1][:10] in message
    ok = _post(user_client, agents, seeds=5)
    assert ok.status_code == 202, ok.json()
    job = user_client.get(ok.json()["url"]).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["agents"][0]["model_id"] == model.pk
    # With the model, a buy's confidence is its P(up): not the signal strength.
    rows = _all(user_client, f"{job['links']['audit']}?agent={btc.pk}&page_size=500")
    assert rows and len({round(r["confidence"], 6) for r in rows}) > 1


def test_another_user_gets_404_everywhere(user_client, agents, other_user):
    job = _post(user_client, agents, seeds=0).json()
    other = APIClient()
    other.force_authenticate(other_user)
    for name in ("detail", "audit", "trades"):
        assert other.get(reverse(f"api:deskbt:{name}", args=[job["id"]])).status_code == 404
    assert other.post(reverse("api:deskbt:cancel", args=[job["id"]])).status_code == 404
    assert other.get(LIST).json()["count"] == 0
    other.force_login(other_user)
    assert other.get(reverse("deskbt:detail", args=[job["id"]])).status_code == 404
    # The owner's cancel of a finished job says so.
    assert user_client.post(job["links"]["cancel"]).status_code == 409


def test_a_sweep_gives_one_line_per_combination(user_client, agents):
    r = user_client.post(
        reverse("api:deskbt:sweep"),
        {
            "agents": [a.pk for a in agents],
            "start": START,
            "end": END,
            "min_score": 0.3,
            "seeds": 10,
            "grid": {"alpha": [0.4, 0.8], "top_n": [1, 2]},
        },
        format="json",
    )
    assert r.status_code == 202, r.json()
    job = user_client.get(r.json()["url"]).json()
    assert job["status"] == "succeeded" and job["kind"] == "sweep"
    rows = job["sweep_results"]
    assert len(rows) == 4
    assert {(r["params"]["alpha"], r["params"]["top_n"]) for r in rows} == {
        (0.4, 1),
        (0.4, 2),
        (0.8, 1),
        (0.8, 2),
    }
    assert all(r["params"]["beta"] == pytest.approx(1 - r["params"]["alpha"]) for r in rows)
    finals = [r["final_equity"] for r in rows]
    assert finals == sorted(finals, reverse=True) and len(set(finals)) > 1
    bad = user_client.post(
        reverse("api:deskbt:sweep"),
        {"agents": [agents[0].pk], "start": START, "end": END, "grid": {"fee_rate": [0.1]}},
        format="json",
    )
    assert bad.status_code == 400 and "grid" in bad.json()


def test_the_pages_render_and_submit(client, user, agents):
    client.force_login(user)
    assert client.get(reverse("deskbt:list")).status_code == 200
    page = client.get(reverse("deskbt:create"))
    assert page.status_code == 200 and agents[0].name in page.content.decode()
    form = {
        "agents": [str(a.pk) for a in agents],
        "start": "2021-01-01 00:00",
        "end": "2021-03-01 00:00",
        "top_n": 3,
        "min_score": 0.3,
        "alpha": 0.6,
        "beta": 0.4,
        "prior_trades": 10,
        "buy_fraction": 0.1,
        "fee_rate": 0.001,
        "slippage_bps": 0,
        "initial_balance": 10000,
        "seeds": 10,
        "grid": "",
    }
    bad = client.post(reverse("deskbt:create"), {**form, "alpha": 0.9})
    assert bad.status_code == 200 and "add up to 1" in bad.content.decode()
    r = client.post(reverse("deskbt:create"), form)
    assert r.status_code == 302
    job = DeskBacktest.objects.get()
    html = client.get(r["Location"]).content.decode()
    assert job.status == "succeeded", job.error
    assert 'id="desk-equity-chart"' in html and 'id="desk-curves"' in html
    assert job.metrics["random"]["verdict"] in html
    assert "page 1 of " in html and "Next" in html
    eth = agents[1]
    filtered = client.get(
        reverse("deskbt:detail", args=[job.pk]) + f"?taken=on&agent={eth.pk}&page=1"
    ).content.decode()
    rows = filtered.split('<table class="table" id="audit">')[1].split("</table>")[0]
    assert "ETHUSDT" in rows and "BTCUSDT" not in rows and "beyond top_n" not in rows
    assert client.get(reverse("deskbt:list")).content.decode().count("succeeded") >= 1
    # A bad filter value falls back to the unfiltered audit instead of failing.
    assert client.get(reverse("deskbt:detail", args=[job.pk]) + "?page=x").status_code == 200
    assert np.isfinite(job.metrics["desk"]["final_equity"])
