"""Backtests through the API: 202 + URL, the job stores exactly the engine's trades,
idempotent tasks, sweeps, bad input, and another user's 404s."""

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from apps.accounts.tests.factories import UserFactory
from apps.backtests.models import BacktestRun, BacktestTradeTable, Sweep
from apps.backtests.selectors import backtest_trades
from apps.backtests.services import backtest_execute
from apps.backtests.tasks import backtest_run
from apps.strategies.tests.factories import StrategyFactory
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]


def _submit(client, **extra):
    payload = {"strategy_json": SHAPE_A, "interval": "1h", **extra}
    return client.post("/api/backtests/", payload, format="json")


def test_submit_answers_202_and_stores_the_engines_trades(
    user_client, btc_candles, btc_1h_path, tmp_path
):
    r = _submit(user_client)
    assert r.status_code == 202, r.json()
    body = r.json()
    assert r["Location"] == body["url"] == f"/api/backtests/{body['id']}/"
    run = user_client.get(body["url"]).json()
    assert run["status"] == "succeeded" and run["progress"] == 100.0
    assert run["assumptions"]["fill"] == "next_open" and run["assumptions"]["fee_rate"] == 0.001
    trades = []
    url = f"{body['url']}trades/?page_size=500"
    while url:
        page = user_client.get(url).json()
        trades += page["results"]
        url = page["next"]
    assert len(trades) == run["metrics"]["num_trades"] > 10
    # Exactly what the engine's command line gives for the same candles and strategy.
    spath = tmp_path / "s.json"
    spath.write_text(json.dumps(SHAPE_A))
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "backtest",
            "--candles",
            str(btc_1h_path),
            "--strategy",
            str(spath),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    expected = json.loads(cli.stdout)["trades"]
    assert [
        (
            t["entry_time"].replace("+00:00", "Z"),
            t["exit_time"].replace("+00:00", "Z"),
            t["exit_reason"],
        )
        for t in trades
    ] == [(t["entry_time"], t["exit_time"], t["exit_reason"]) for t in expected]
    # Money as decimal strings, the engine's floats rounded to 8 places (no binary tails).
    assert [Decimal(t["pnl"]) for t in trades] == [
        Decimal(repr(t["pnl"])).quantize(Decimal("1e-8")) for t in expected
    ]
    assert all(len(t["entry_price"].split(".")[1]) == 8 for t in trades)
    equity = user_client.get(f"{body['url']}equity/").json()
    assert equity["columns"] == ["time_epoch_s", "equity", "buy_and_hold"]
    assert len(equity["points"]) > 100
    first_time = datetime.fromisoformat(run["first_candle"]).timestamp()
    assert equity["points"][0][0] >= first_time and isinstance(equity["points"][0][0], int)


def test_running_the_task_twice_stores_one_set_of_trades(user_client, btc_candles):
    pk = _submit(user_client).json()["id"]
    first = list(backtest_trades(run=BacktestRun.objects.get(pk=pk)))
    assert backtest_run(pk) == "skipped"
    BacktestRun.objects.filter(pk=pk).update(status="queued")  # as if redelivered after a reap
    assert backtest_execute(pk) == "succeeded"
    assert BacktestTradeTable.objects.filter(run_id=pk).count() == 1
    assert list(backtest_trades(run=BacktestRun.objects.get(pk=pk))) == first
    assert BacktestRun.objects.get(pk=pk).attempts == 2


def test_saved_strategy_runs_its_exact_version(user_client, btc_candles):
    sid = user_client.post("/api/strategies/", {"strategy_json": SHAPE_A}, format="json").json()[
        "id"
    ]
    pk = user_client.post(
        "/api/backtests/", {"strategy": f"BTCUSDT_strategy_{sid}"}, format="json"
    ).json()["id"]
    run = BacktestRun.objects.get(pk=pk)
    assert run.strategy_version.number == 1 and run.status == "succeeded"
    user_client.patch(
        f"/api/strategies/{sid}/", {"strategy_json": {**SHAPE_A, "combine": "all"}}, format="json"
    )
    run.refresh_from_db()
    assert run.strategy_version.number == 1 and run.strategy_definition["entry_logic"] == "any"


def test_range_cancel_and_recent_results(user_client, btc_candles):
    r = _submit(user_client, start="2021-01-01T00:00:00Z", end="2021-03-01T00:00:00Z").json()
    run = user_client.get(r["url"]).json()
    assert run["first_candle"] >= "2021-01-01" and run["last_candle"] <= "2021-03-01T00:00:00Z"
    assert user_client.post(f"{r['url']}cancel/").status_code == 409  # already finished
    page = user_client.get("/api/backtests/results/?page_size=10").json()
    recent = page["results"]
    assert len(recent) == 10 and page["count"] == run["metrics"]["num_trades"] > 10
    second = user_client.get("/api/backtests/results/?page_size=10&page=2").json()["results"]
    assert second and second[0]["exit_time"] <= recent[-1]["exit_time"]
    assert recent[0]["exit_time"] >= recent[-1]["exit_time"] and recent[0]["symbol"] == "BTCUSDT"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"symbol": "NOPE"}, "symbol"),
        ({"interval": "4h"}, "interval"),
        ({"start": "2022-01-01T00:00:00Z"}, "start"),
        ({"start": "2021-02-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}, "end"),
        ({"fee_rate": -0.001}, "fee_rate"),
        ({"fill": "later"}, "fill"),
        ({"initial_balance": 0}, "initial_balance"),
        ({"strategy_json": {"symbol": "BTCUSDT", "indicators": {"emma": {}}}}, "strategy_json"),
        ({"strategy": "999999"}, "strategy"),
    ],
)
def test_bad_input_is_400_naming_the_field(user_client, btc_candles, payload, field):
    data = {"strategy_json": SHAPE_A, **payload}
    if "strategy" in payload:
        data.pop("strategy_json")
    r = user_client.post("/api/backtests/", data, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert BacktestRun.objects.count() == 0


def test_sweep_runs_every_combination_and_refuses_huge_grids(user_client, btc_candles):
    r = user_client.post(
        "/api/backtests/sweeps/",
        {
            "strategy_json": SHAPE_A,
            "grid": {"indicators.rsi.period": [7, 14, 21], "indicators.rsi.buy_below": [20, 30]},
            "metric": "sharpe",
        },
        format="json",
    )
    assert r.status_code == 202, r.json()
    sweep = user_client.get(r.json()["url"]).json()
    assert sweep["status"] == "succeeded" and sweep["completed"] == 6 and len(sweep["results"]) == 6
    sharpe = [row["metrics"]["sharpe"] for row in sweep["results"]]
    assert sharpe == sorted(sharpe, reverse=True)
    huge = {
        f"indicators.rsi.{k}": list(range(1, 101)) for k in ("period", "buy_below", "sell_above")
    }
    bad = user_client.post(
        "/api/backtests/sweeps/", {"strategy_json": SHAPE_A, "grid": huge}, format="json"
    )
    assert bad.status_code == 400 and "grid" in bad.json()
    missing = user_client.post(
        "/api/backtests/sweeps/",
        {"strategy_json": SHAPE_A, "grid": {"risk.nope.x": [1]}},
        format="json",
    )
    assert missing.status_code == 400 and "grid.risk.nope.x" in missing.json()


def test_walk_forward_reports_out_of_sample_windows(user_client, btc_candles):
    r = user_client.post(
        "/api/backtests/sweeps/",
        {
            "strategy_json": SHAPE_A,
            "grid": {"indicators.rsi.period": [7, 14]},
            "walk_forward_windows": 3,
        },
        format="json",
    )
    assert r.status_code == 202, r.json()
    wf = Sweep.objects.get(pk=r.json()["id"]).walk_forward
    assert len(wf["windows_report"]) == 3
    for w in wf["windows_report"]:
        assert w["out_of_sample_window"][0] > w["in_sample_window"][1]
        assert (
            w["params"]["indicators.rsi.period"] in (7, 14) and "num_trades" in w["out_of_sample"]
        )
    assert wf["stitched"]["final_balance"] > 0


def test_another_user_gets_404_everywhere(user_client, other_user, btc_candles, client_for):
    pk = _submit(user_client).json()["id"]
    sid = user_client.post("/api/strategies/", {"strategy_json": SHAPE_A}, format="json").json()[
        "id"
    ]
    other = client_for(other_user)
    for url in [
        f"/api/backtests/{pk}/",
        f"/api/backtests/{pk}/trades/",
        f"/api/backtests/{pk}/equity/",
    ]:
        assert other.get(url).status_code == 404
    assert other.post(f"/api/backtests/{pk}/cancel/").status_code == 404
    assert (
        other.get("/api/backtests/").json()["count"] == 0
        and other.get("/api/backtests/results/").json()["results"] == []
    )
    steal = other.post("/api/backtests/", {"strategy": str(sid)}, format="json")
    assert steal.status_code == 400 and "strategy" in steal.json()


def test_pages_form_result_and_sweep(client, user, btc_candles):
    client.force_login(user)
    s = StrategyFactory(owner=user, definition=SHAPE_A, name="demo")
    form = client.get(f"/backtests/new/?strategy={s.pk}").content.decode()
    assert f'<option value="{s.pk}" selected>' in form
    bad = client.post(
        "/backtests/new/",
        {
            "strategy": s.pk,
            "initial_balance": 10000,
            "fee_rate": 0.001,
            "slippage_bps": 0,
            "fill": "next_open",
            "start": "2030-01-01 00:00",
        },
    )
    assert bad.status_code == 200 and "no 1h candles of BTCUSDT" in bad.content.decode()
    ok = client.post(
        "/backtests/new/",
        {
            "strategy": s.pk,
            "initial_balance": 10000,
            "fee_rate": 0.001,
            "slippage_bps": 0,
            "fill": "next_open",
        },
    )
    assert ok.status_code == 302
    html = client.get(ok["Location"]).content.decode()
    assert (
        'id="price-chart"' in html
        and 'id="equity-mode"' in html
        and 'id="assumptions"' in html
        and "Next open" in html
    )
    assert 'id="trades"' in html and "Buy &amp; hold return" in html
    run = ok["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert f'data-chart-url="/api/backtests/{run}/chart/"' in html
    assert "demo" in client.get("/backtests/").content.decode()
    sweep_form = {
        "strategy": s.pk,
        "initial_balance": 10000,
        "fee_rate": 0.001,
        "slippage_bps": 0,
        "fill": "next_open",
        "grid": '{"indicators.rsi.period": [7, 14], "indicators.rsi.buy_below": [25, 30]}',
        "metric": "total_return_pct",
        "walk_forward_windows": 0,
    }
    sw = client.post("/backtests/sweeps/new/", sweep_form)
    assert sw.status_code == 302
    page = client.get(sw["Location"]).content.decode()
    assert 'id="heatmap"' in page and 'id="sweep-results"' in page
    assert "data-lower-better" not in page  # higher return is better: green is the highest
    # Ranked by drawdown (lower is better) the heatmap says so, and heatmap.js greens the lowest.
    dd = client.post("/backtests/sweeps/new/", {**sweep_form, "metric": "max_drawdown_pct"})
    assert dd.status_code == 302
    assert 'id="heatmap" data-lower-better' in client.get(dd["Location"]).content.decode()


def test_strategy_performance_reads_stored_runs_and_hints_the_missing_ones(
    user_client, user, btc_candles, client_for
):
    from apps.marketdata.models import Candle
    from apps.portfolio.models import TradeLog
    from apps.portfolio.services import order_place

    sid = user_client.post(
        "/api/strategies/", {"strategy_json": SHAPE_A, "name": "perf"}, format="json"
    ).json()["id"]
    url = f"/api/strategies/BTCUSDT_strategy_{sid}/performance/"
    empty = user_client.get(url).json()
    assert empty["backtests"] == {"count": 0, "latest": None, "runs": []}
    assert empty["run_backtest"]["method"] == "POST"
    assert empty["run_backtest"]["url"] == "/api/backtests/"
    assert empty["paper"] is None and empty["drift"] is None

    # Paper trades in the middle of the shipped candles: the GET backtests nothing itself.
    order_place(owner=user, symbol="BTCUSDT", action="buy", price="30000", strategy_name="perf")
    order_place(owner=user, symbol="BTCUSDT", action="sell", price="33000")
    times = list(
        Candle.objects.filter(symbol__name="BTCUSDT", interval="1h")
        .order_by("open_time")
        .values_list("open_time", flat=True)
    )
    first, last = times[len(times) // 3], times[2 * len(times) // 3]
    TradeLog.objects.filter(strategy_name="perf").update(entry_time=first, exit_time=last)
    before = BacktestRun.objects.count()
    perf = user_client.get(url).json()
    assert BacktestRun.objects.count() == before
    assert perf["paper"]["total_trades"] == 1 and perf["paper"]["win_rate"] == 1.0
    assert "backtest" not in perf["drift"] and perf["drift"]["detail"]
    hint = perf["drift"]["run_backtest"]
    assert hint["body"]["strategy"] == sid and hint["body"]["start"] and hint["body"]["end"]

    # Follow the hint: the stored run now answers both the latest and the drift.
    created = user_client.post(hint["url"], hint["body"], format="json")
    assert created.status_code == 202, created.json()
    perf = user_client.get(url).json()
    run = BacktestRun.objects.get(pk=created.json()["id"])
    assert perf["run_backtest"] is None
    assert perf["backtests"]["count"] == 1 and perf["backtests"]["latest"]["run"] == run.pk
    assert perf["backtests"]["latest"]["version"] == 1
    assert perf["drift"]["run"] == run.pk
    inside = [t for t in backtest_trades(run=run) if first <= t.entry_time <= last]
    assert inside
    assert perf["drift"]["backtest"]["num_trades"] == len(inside)
    assert perf["drift"]["trade_count_difference"] == 1 - len(inside)

    # A new version has no backtest of its own yet: the older run is listed, not latest.
    user_client.patch(
        f"/api/strategies/{sid}/",
        {"strategy_json": {**SHAPE_A, "indicators": {"rsi": SHAPE_A["indicators"]["rsi"]}}},
        format="json",
    )
    perf = user_client.get(url).json()
    assert perf["version"] == 2 and perf["backtests"]["latest"] is None
    assert perf["backtests"]["runs"][0]["run"] == run.pk and perf["run_backtest"]
    assert "backtest" not in perf["drift"]

    other = client_for(UserFactory())
    assert other.get(f"/api/strategies/{sid}/performance/").status_code == 404
