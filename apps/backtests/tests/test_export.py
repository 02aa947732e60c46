"""Downloads of a run (trades, equity, metrics), a sweep's table and the portfolio's trade
log: the CSV read back and the JSON file equal what the API lists, every page of it; big
runs stream; only the owner gets them; a bad `format` is a 400 naming it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from apps.accounts.tests.factories import UserFactory
from apps.backtests.api.serializers import BacktestTradeOutputSerializer
from apps.backtests.models import BacktestRun, BacktestTradeTable, SweepResult
from apps.backtests.selectors import backtest_trades
from apps.backtests.tests.factories import BacktestRunFactory, SweepFactory
from apps.backtests.tradestore import columns_from_result, from_us, pack
from apps.core.export import csv_cell
from apps.core.jobs import JobStatus
from apps.portfolio.tests.factories import PortfolioFactory, TradeLogFactory
from bench.common import random_walk_candles
from engine.backtest import BacktestConfig, run_backtest
from engine.strategy import parse_strategy
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(client, **extra) -> dict:
    r = client.post(
        "/api/backtests/", {"strategy_json": SHAPE_A, "interval": "1h", **extra}, format="json"
    )
    assert r.status_code == 202, r.json()
    return r.json()


def _pages(client, url: str, page_size: int = 7) -> list[dict]:
    rows, url = [], f"{url}?page_size={page_size}"
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"]
    return rows


def _body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def _read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _typed(cell: str, like):
    """A CSV cell read back as the type the API gave that field."""
    if like is None:
        assert cell == ""
        return None
    if isinstance(like, bool):
        return {"true": True, "false": False}[cell]
    if isinstance(like, int | float):
        return type(like)(cell)
    if isinstance(like, dict | list):
        return json.loads(cell)
    return cell


def _as_api(rows: list[dict], api: list[dict]) -> list[dict]:
    assert len(rows) == len(api)
    return [{k: _typed(row[k], a[k]) for k in a} for row, a in zip(rows, api, strict=True)]


@pytest.fixture
def run(user_client, btc_candles) -> BacktestRun:
    body = _submit(user_client, stop_loss_pct=2, take_profit_pct=4)
    return BacktestRun.objects.get(pk=body["id"])


def test_trades_csv_read_back_equals_every_api_page(user_client, user, run):
    url = f"/api/backtests/{run.pk}/trades/"
    api = _pages(user_client, url)
    assert len(api) == run.metrics["num_trades"] > 20
    by_accept = user_client.get(url, HTTP_ACCEPT="text/csv")
    by_format = user_client.get(url, {"format": "csv"})
    user_client.force_login(user)
    by_page = user_client.get(f"/backtests/{run.pk}/export/")
    for r in (by_accept, by_format, by_page):
        assert r.status_code == 200
        assert r["Content-Type"] == "text/csv; charset=utf-8"
        assert r["Content-Disposition"] == (
            f'attachment; filename="backtest-{run.pk}-btcusdt-1h-trades.csv"'
        )
    text = _body(by_accept)
    assert text == _body(by_format) == _body(by_page)
    rows = _read_csv(text)
    assert list(rows[0]) == list(api[0])  # the API's fields, in its order
    assert _as_api(rows, api) == api
    # Times as the API writes them; floats exactly (shortest text that reads back the same).
    assert rows[0]["entry_time"] == api[0]["entry_time"] and rows[0]["entry_time"].endswith("Z")


def test_json_download_equals_the_api_and_equity_and_metrics_follow_the_run(user_client, user, run):
    api = _pages(user_client, f"/api/backtests/{run.pk}/trades/", page_size=500)
    user_client.force_login(user)
    r = user_client.get(f"/backtests/{run.pk}/export/?format=json")
    assert r["Content-Type"] == "application/json"
    assert json.loads(_body(r)) == api

    detail = user_client.get(f"/api/backtests/{run.pk}/").json()
    metrics_json = json.loads(
        _body(user_client.get(f"/backtests/{run.pk}/export/?part=metrics&format=json"))
    )
    assert metrics_json == detail["metrics"]
    metrics_csv = _read_csv(_body(user_client.get(f"/api/backtests/{run.pk}/?format=csv")))
    assert [m["metric"] for m in metrics_csv] == list(detail["metrics"])
    assert {
        m["metric"]: _typed(m["value"], detail["metrics"][m["metric"]]) for m in metrics_csv
    } == detail["metrics"]

    points = run.equity_curve  # [epoch ms, equity, buy & hold], as stored
    equity = _read_csv(_body(user_client.get(f"/api/backtests/{run.pk}/equity/?format=csv")))
    assert len(equity) == len(points) > 10
    assert [e["time"] for e in equity[:2]] == [
        from_us(p[0] * 1000).isoformat().replace("+00:00", "Z") for p in points[:2]
    ]
    # Exact floats, or money to 8 places if the API writes equity as decimal strings.
    assert [float(e["equity"]) for e in equity] == pytest.approx([p[1] for p in points], abs=5e-9)
    equity_json = json.loads(
        _body(user_client.get(f"/backtests/{run.pk}/export/?format=json&part=equity"))
    )
    assert [float(p["equity"]) for p in equity_json] == pytest.approx(
        [p[1] for p in points], abs=5e-9
    )


def test_a_100k_bar_runs_export_streams_every_trade(user_client, user):
    candles = random_walk_candles(100_000)
    result = run_backtest(candles, parse_strategy(SHAPE_A), BacktestConfig(), interval="1m")
    columns = columns_from_result(result)
    assert len(result.columns) > 100
    run = BacktestRunFactory(
        owner=user, status=JobStatus.SUCCEEDED, interval="1m", candles_count=len(candles)
    )
    BacktestTradeTable.objects.create(run=run, count=len(result.columns), data=pack(columns))
    r = user_client.get(f"/api/backtests/{run.pk}/trades/", HTTP_ACCEPT="text/csv")
    assert r.streaming and isinstance(r, StreamingHttpResponse)
    chunks = list(r.streaming_content)
    assert len(chunks) > 1  # written a batch at a time, not as one string
    rows = _read_csv(b"".join(chunks).decode())
    assert len(rows) == len(result.columns)
    assert [int(r["seq"]) for r in rows] == list(range(len(rows)))
    last = BacktestTradeOutputSerializer(backtest_trades(run=run)[-1]).data
    assert rows[-1] == {k: csv_cell(v) for k, v in last.items()}


def test_only_the_owner_downloads_and_errors_are_json(user_client, run, client_for):
    other = client_for(UserFactory())
    for url in (
        f"/api/backtests/{run.pk}/trades/?format=csv",
        f"/api/backtests/{run.pk}/?format=csv",
        f"/api/backtests/{run.pk}/equity/?format=csv",
    ):
        r = other.get(url)
        assert r.status_code == 404 and r["Content-Type"] == "application/json"
        r = other.get(url.split("?")[0], HTTP_ACCEPT="text/csv")
        assert r.status_code == 404 and r["Content-Type"] == "application/json"
    other.force_login(UserFactory())
    for part in ("trades", "equity", "metrics"):
        assert other.get(f"/backtests/{run.pk}/export/?part={part}").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=xml", "must be one of csv, json"),
        ("format=csv&format=json", "given more than once; send it once"),
        ("format=", "must not be empty"),
    ],
)
def test_a_bad_format_is_a_400_naming_it(user_client, run, query, message):
    r = user_client.get(f"/api/backtests/{run.pk}/trades/?{query}")
    assert r.status_code == 400 and r["Content-Type"] == "application/json"
    assert r.json() == {"format": [message]}


def test_format_json_is_the_json_answer(user_client, run):
    r = user_client.get(f"/api/backtests/{run.pk}/trades/?format=json&page_size=3")
    assert r.status_code == 200 and len(r.json()["results"]) == 3


def test_sweep_table_csv_and_json(user_client, user):
    sweep = SweepFactory(
        owner=user,
        status=JobStatus.SUCCEEDED,
        grid={"indicators.rsi.period": [7, 14], "risk.stop_loss_pct": [1.5]},
        metric="sharpe",
    )
    SweepResult.objects.create(
        sweep=sweep,
        combo=0,
        params={"indicators.rsi.period": 7, "risk.stop_loss_pct": 1.5},
        metrics={"sharpe": 0.5, "total_return_pct": 3.25},
    )
    SweepResult.objects.create(
        sweep=sweep,
        combo=1,
        params={"indicators.rsi.period": 14, "risk.stop_loss_pct": 1.5},
        metrics={"sharpe": 1.25, "total_return_pct": 9.5},
    )
    api_sweep = user_client.get(f"/api/backtests/sweeps/{sweep.pk}/").json()
    api = api_sweep["results"]
    r = user_client.get(f"/api/backtests/sweeps/{sweep.pk}/", HTTP_ACCEPT="text/csv")
    assert r["Content-Disposition"].endswith(f'filename="sweep-{sweep.pk}-btcusdt-1h-table.csv"')
    rows = _read_csv(_body(r))
    # The grid's paths as the API lists them (jsonb keeps no order), then the metrics in
    # the metrics table's order.
    assert list(rows[0]) == ["combo", *api_sweep["grid"], "total_return_pct", "sharpe", "error"]
    assert set(api_sweep["grid"]) == {"indicators.rsi.period", "risk.stop_loss_pct"}
    assert [(r["combo"], r["indicators.rsi.period"], r["sharpe"]) for r in rows] == [
        ("1", "14", "1.25"),
        ("0", "7", "0.5"),
    ]  # best first, as the API ranks them
    user_client.force_login(user)
    page = user_client.get(f"/backtests/sweeps/{sweep.pk}/export/?format=json")
    assert json.loads(_body(page)) == api
    user_client.force_login(UserFactory())
    assert user_client.get(f"/backtests/sweeps/{sweep.pk}/export/").status_code == 404


def test_portfolio_trade_log_csv_equals_the_api(user_client, user):
    from decimal import Decimal

    portfolio = PortfolioFactory(owner=user)
    for k in range(3):
        TradeLogFactory(
            portfolio=portfolio,
            entry_price=Decimal("0.08912"),
            exit_price=Decimal(f"0.0{9 + k}"),
            quantity=Decimal("1.239163223309"),
            pnl=Decimal("0.00000001") * k,
            indicators_used={"rsi": 31.5},
        )
    url = "/api/portfolio/trades/"
    api = _pages(user_client, url, page_size=2)
    r = user_client.get(url, {"format": "csv", "portfolio": portfolio.pk})
    assert r["Content-Disposition"].endswith(f'filename="portfolio-{portfolio.pk}-trades.csv"')
    rows = _read_csv(_body(r))
    assert _as_api(rows, api) == api
    user_client.force_login(user)
    page = user_client.get(f"/portfolio/export/?portfolio={portfolio.pk}&format=json")
    assert json.loads(_body(page)) == api
    assert user_client.get("/portfolio/export/?portfolio=999999").status_code == 404


def test_delete_asking_for_csv_deletes_and_answers_as_json(user_client, run):
    r = user_client.delete(f"/api/backtests/{run.pk}/?format=csv")
    assert r.status_code == 204 and not r.content
    assert not BacktestRun.objects.filter(pk=run.pk).exists()


@pytest.mark.parametrize("query", ["format=xml", "part=orders", "part=Trades"])
def test_a_page_download_with_a_bad_query_is_a_400(user_client, user, run, query):
    user_client.force_login(user)
    r = user_client.get(f"/backtests/{run.pk}/export/?{query}")
    assert r.status_code == 400


def test_the_pages_link_to_their_downloads(user_client, user, run):
    user_client.force_login(user)
    html = user_client.get(f"/backtests/{run.pk}/").content.decode()
    for part in ("trades", "equity", "metrics"):
        for fmt in ("csv", "json"):
            assert f'href="/backtests/{run.pk}/export/?part={part}&amp;format={fmt}"' in html
    portfolio = PortfolioFactory(owner=user)
    html = user_client.get(f"/portfolio/?portfolio={portfolio.pk}").content.decode()
    assert f'href="/portfolio/export/?portfolio={portfolio.pk}&amp;format=csv"' in html
