"""Results a user can compare and take away, in a real browser at desktop (1440x900) and
phone (390x844) widths: the runs list filtered and sorted by Sharpe, two runs ticked and
compared (both columns of metrics, both equity curves on one % chart), and the result
page's download links giving files whose content is the API's (trades, metrics).
Every value is checked as the formatting layer writes it; no page may be wider than the
window (conftest.Shots) and any console/HTTP/CSP problem fails (conftest.PageWatch)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from apps.backtests.api.serializers import (
    BacktestRunOutputSerializer,
    BacktestTradeOutputSerializer,
)
from apps.backtests.models import BacktestRun
from apps.backtests.selectors import backtest_trades
from apps.backtests.services import backtest_create
from apps.core.formatting import metric_value
from engine.backtest import BacktestConfig
from engine.tests.test_strategy import SHAPE_A

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "results-pass-2024"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, page):
    """conftest's watched page at a desktop or a phone size."""
    width, height = VIEWPORTS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return page


@pytest.fixture
def runs(django_user_model, btc_candles) -> list[BacktestRun]:
    """Three succeeded runs of the shipped BTCUSDT 1h candles (tasks run inline here),
    with different risk settings and capitals."""
    user = django_user_model.objects.create_user(username="quant", password=PASSWORD)
    made = []
    for stop, take, balance in ((2, 4, 10_000.0), (3, 9, 500.0), (None, None, 25_000.0)):
        config = BacktestConfig(initial_balance=balance, stop_loss_pct=stop, take_profit_pct=take)
        run = backtest_create(owner=user, strategy_json=SHAPE_A, interval="1h", config=config)
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
        made.append(run)
    return made


def _sign_in(page, live_server) -> None:
    page.goto("/backtests/")
    page.fill("#id_username", "quant")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(live_server.url + "/backtests/")


def _cells(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def _read(download) -> str:
    with open(download.path(), encoding="utf-8") as fh:
        return fh.read()


def _api_trades(run: BacktestRun) -> list[dict]:
    """Every trade as the API's trade list writes it (JSON, all pages)."""
    data = BacktestTradeOutputSerializer(backtest_trades(run=run)[:], many=True).data
    return json.loads(json.dumps(data))


def test_filter_sort_compare_and_download(sized_page, live_server, runs, shots):
    page = sized_page
    _sign_in(page, live_server)
    shots(page, "runs list")
    assert len(page.locator("#runs tbody tr[data-run]").all()) == 3

    # --- filter (symbol, positive Sharpe) and sort by Sharpe, best first ------------------
    page.click("#filter-box summary")
    page.fill("#f-symbol", "btcusdt")
    page.fill("#f-smin", "-100")
    page.click("#apply-filters")
    page.wait_for_url("**/backtests/?*sharpe_min=-100*")
    page.click("a[data-sort='sharpe']")
    page.wait_for_url("**ordering=-sharpe**")
    by_sharpe = sorted(
        (r for r in runs if r.metrics["sharpe"] is not None),
        key=lambda r: r.metrics["sharpe"],
        reverse=True,
    )
    assert _cells(page, "#runs tbody tr[data-run] td[data-col='sharpe']") == [
        metric_value(r.metrics["sharpe"], "sharpe") for r in by_sharpe
    ]
    shown = [
        int(x)
        for x in page.locator("#runs tbody tr[data-run]").evaluate_all(
            "rows => rows.map(r => r.dataset.run)"
        )
    ]
    assert shown == [r.pk for r in by_sharpe]
    assert _cells(page, "#runs tbody tr[data-run] td[data-col='return']") == [
        metric_value(r.metrics["total_return_pct"], "total_return_pct") for r in by_sharpe
    ]
    shots(page, "runs sorted by sharpe")

    # --- tick two runs and compare --------------------------------------------------------
    picked = by_sharpe[:2]
    for run in picked:
        page.check(f"input[name='runs'][value='{run.pk}']")
    page.click("#compare-button")
    page.wait_for_url("**/backtests/compare/?runs=*")
    page.wait_for_function("() => document.getElementById('compare-chart').dataset.series === '2'")
    assert page.locator("#compare-chart canvas").count() > 0
    head = _cells(page, "#compare-metrics thead th")
    assert head == ["Metric"] + [f"#{r.pk}" for r in picked]
    for key in ("total_return_pct", "sharpe", "max_drawdown_pct", "num_trades", "final_balance"):
        row = page.locator(f"#compare-metrics tr[data-metric='{key}']")
        assert _cells(row, "td") == [metric_value(r.metrics[key], key) for r in picked]
    assert _cells(page, "#compare-legend > span") == [
        f"#{r.pk} {r.strategy_name} · {r.symbol} {r.interval}" for r in picked
    ]
    shots(page, "compare")

    # --- the result page's downloads are the API's trades and metrics ---------------------
    run = picked[0]
    page.goto(f"/backtests/{run.pk}/")
    with page.expect_download() as info:
        page.click("a[data-export='trades-csv']")
    download = info.value
    assert download.suggested_filename == f"backtest-{run.pk}-btcusdt-1h-trades.csv"
    rows = list(csv.DictReader(io.StringIO(_read(download))))
    api = _api_trades(run)
    assert len(rows) == len(api) == run.metrics["num_trades"] > 0
    for row, trade in zip(rows, api, strict=True):
        assert list(row) == list(trade)
        for key, value in trade.items():
            assert (type(value)(row[key]) if value is not None else None) == value, key
    with page.expect_download() as info:
        page.click("a[data-export='metrics-json']")
    api_metrics = json.loads(json.dumps(BacktestRunOutputSerializer(run).data["metrics"]))
    assert json.loads(_read(info.value)) == api_metrics
    shots(page, "result with downloads")


def test_sweep_table_and_trade_log_downloads(sized_page, live_server, runs, shots):
    """The sweep page's and the portfolio page's CSV links give the API's rows."""
    from decimal import Decimal

    from apps.backtests.selectors import sweep_table
    from apps.backtests.services import sweep_create
    from apps.portfolio.api.serializers import TradeLogOutputSerializer
    from apps.portfolio.selectors import trade_log_list
    from apps.portfolio.services import order_place

    page, user = sized_page, runs[0].owner
    sweep = sweep_create(
        owner=user,
        strategy_json=SHAPE_A,
        interval="1h",
        grid={"indicators.rsi.period": [7, 14], "indicators.ema.period": [10, 20]},
    )
    sweep.refresh_from_db()
    assert sweep.status == "succeeded", sweep.error
    entry = runs[0].first_candle
    for action, price, when in (
        ("buy", "11000.5", entry),
        ("sell", "11800.25", runs[0].last_candle),
    ):
        order_place(
            owner=user,
            symbol="BTCUSDT",
            action=action,
            price=Decimal(price),
            market_time=when,
            strategy_name="by hand",
        )
    _sign_in(page, live_server)

    page.goto(f"/backtests/sweeps/{sweep.pk}/")
    with page.expect_download() as info:
        page.click("a[data-export='results-table-csv']")
    assert info.value.suggested_filename == f"sweep-{sweep.pk}-btcusdt-1h-table.csv"
    rows = list(csv.DictReader(io.StringIO(_read(info.value))))
    table = sweep_table(sweep)
    assert [int(r["combo"]) for r in rows] == [r["combo"] for r in table] and len(rows) == 4
    for row, want in zip(rows, table, strict=True):
        assert {k: int(row[k]) for k in want["params"]} == want["params"]
        assert float(row["sharpe"]) == want["metrics"]["sharpe"]
    shots(page, "sweep with downloads")

    page.goto("/portfolio/")
    with page.expect_download() as info:
        page.click("a[data-export='trade-log-csv']")
    (row,) = csv.DictReader(io.StringIO(_read(info.value)))
    (api,) = json.loads(
        json.dumps(TradeLogOutputSerializer(trade_log_list(owner=user), many=True).data)
    )
    assert list(row) == list(api)
    assert row["entry_price"] == api["entry_price"] == "11000.50000000"
    assert row["exit_time"] == api["exit_time"] and row["strategy_name"] == "by hand"
    shots(page, "portfolio with downloads")
