"""The chart component in Chromium, at a desktop (1440x900) and a phone (390x844) width.

Result page: the whole run is loaded (its first bar is the run's first candle, every
candle drawn, not the latest 5,000; zoomed out, bars are grouped, zoomed in they are the
real ones); hovering a bar shows that bar's OHLCV, the
strategy's indicator values at it and the trade it belongs to; trade markers exist (two
per trade); price, indicator, equity and drawdown panes share one time axis (hovering the
equity pane reads out the same bar, dragging the drawdown pane scrolls the price); the
equity switches to a log scale; the drawdown axis stops at 0. Market data page: the same
component, prices to the symbol's own precision (ETHBTC ~0.09 with its 8 decimals).
Every page is watched for console errors, failed requests and CSP violations (conftest).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bench.chart_page import STRATEGY as BENCH_STRATEGY
from tests.browser.conftest import ARTIFACTS, Shots

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "chart-reader-2024"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
# MACD crossing its signal above the EMA(200), out on RSI > 70 or below the lower band:
# two overlays (EMA, Bollinger's three lines) and two panes (MACD's three lines, RSI).
STRATEGY = {
    **BENCH_STRATEGY,
    "strategy_name": "Chart reader",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
}


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server, watch, django_user_model):
    width, height = SIZES[request.param]
    user = django_user_model.objects.create_user(username="reader", password=PASSWORD)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="en-US"
    )
    context.set_default_timeout(30_000)
    watch.attach(context)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield page, user, Shots(folder)
    finally:
        context.close()
    watch.assert_clean()


def _finished_run(user):
    import time

    from apps.backtests.models import BacktestRun
    from apps.backtests.services import backtest_create

    run = backtest_create(owner=user, strategy_json=STRATEGY, symbol="BTCUSDT", interval="1h")
    deadline = time.monotonic() + 120
    while run.status not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = BacktestRun.objects.get(pk=run.pk)
    assert run.status == "succeeded", run.error
    return run


def _readout(page, key: str) -> str:
    return page.locator(f".chart-readout [data-key='{key}'] > .v").first.inner_text()


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", ""))


def _hover(page, el: str, time_s: int, pane: int, zoom: bool = False) -> None:
    """Move the pointer over bar `time_s` in pane `pane` of the chart in `el` (`zoom`: first
    show 80 bars around it, as the mouse wheel would, so a bar is wider than a pixel)."""
    where = page.evaluate(
        """async ([sel, t, pane, zoom]) => {
          const h = Charts.instances.get(document.querySelector(sel));
          if (zoom) {
            const k = h.times.indexOf(t);
            h.zoom(h.times[Math.max(k - 40, 0)], h.times[Math.min(k + 40, h.times.length - 1)]);
          }
          // The chart applies a new visible range at its next frame: measure after it.
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const x = h.chart.timeScale().timeToCoordinate(t);
          const box = document.querySelector(sel).getBoundingClientRect();
          let top = 0;
          const panes = h.chart.panes();
          for (let k = 0; k < pane; k++) top += panes[k].getHeight() + 1;
          return {x: box.left + x, y: box.top + top + panes[pane].getHeight() / 2};
        }""",
        [el, time_s, pane, zoom],
    )
    page.mouse.move(where["x"], where["y"])
    try:
        page.wait_for_function(
            "([t]) => document.querySelector('.chart-readout').dataset.time === String(t)",
            arg=[time_s],
            timeout=5000,
        )
    except Exception:
        shown = page.evaluate("() => document.querySelector('.chart-readout').dataset.time")
        raise AssertionError(f"hovering bar {time_s} at {where} shows bar {shown}") from None


def test_result_chart_whole_range_readout_markers_and_linked_panes(sized, btc_candles):
    from apps.marketdata.selectors import candles_frame
    from engine.indicators import compute

    page, user, shots = sized
    run = _finished_run(user)
    frame = candles_frame(symbol="BTCUSDT", interval="1h")
    assert len(frame) > 5000 and run.candles_count == len(frame)

    page.goto(f"/backtests/{run.pk}/")
    page.wait_for_selector("#price-chart[data-painted]")
    # The whole range: every candle, the first bar is the run's first candle.
    assert int(page.get_attribute("#price-chart", "data-drawn")) == run.candles_count
    assert int(page.get_attribute("#price-chart", "data-first-time")) == int(
        run.first_candle.timestamp()
    )
    trades = run.metrics["num_trades"]
    assert trades > 5
    assert int(page.get_attribute("#price-chart", "data-markers")) == 2 * trades
    # rsi, ema, macd (3 lines), bollinger (3 lines); panes: price, macd, rsi, equity, drawdown
    assert int(page.get_attribute("#price-chart", "data-indicators")) == 8
    assert int(page.get_attribute("#price-chart", "data-panes")) == 5
    # Zoomed out, a coarse level is drawn (each bar `level` real ones, the readout says so).
    level = int(page.get_attribute("#price-chart", "data-level"))
    assert level > 1
    assert page.locator(".chart-readout [data-key='bars']").inner_text() == f"{level} bars"
    shots(page, "result chart")

    # Zoom to a trade's entry bar (as a wheel would), then hover it: its OHLCV, the
    # indicators at that bar and the trade's details.
    from apps.backtests.selectors import backtest_trades

    trade = backtest_trades(run=run)[len(backtest_trades(run=run)) // 2]
    k = int(frame.index.get_loc(trade.entry_time))
    t = int(frame.index[k].timestamp())
    page.locator("#price-chart").scroll_into_view_if_needed()
    _hover(page, "#price-chart", t, 0, zoom=True)
    assert page.get_attribute("#price-chart", "data-level") == "1"  # the real bars
    assert page.locator(".chart-readout [data-key='bars']").count() == 0
    row = frame.iloc[k]
    assert _readout(page, "O") == f"{row['open']:,.2f}"
    assert _readout(page, "H") == f"{row['high']:,.2f}"
    assert _readout(page, "L") == f"{row['low']:,.2f}"
    assert _readout(page, "C") == f"{row['close']:,.2f}"
    volume = _readout(page, "V")
    assert re.fullmatch(r"[\d,.]+[KMB]?", volume), volume
    rsi = compute("rsi", frame, (14,))["value"][k]
    assert _readout(page, "rsi(14)") and abs(_number(_readout(page, "rsi(14)")) - rsi) < 1e-3
    ema = compute("ema", frame, (200,))["value"][k]
    assert _readout(page, "ema(200)") == f"{ema:,.2f}"
    trade_text = page.locator(".chart-readout [data-trade]").inner_text()
    assert trade_text.startswith(f"Trade {trade.seq + 1}") and "entry" in trade_text
    assert f"{trade.entry_price:,.2f}" in page.locator(".chart-readout").inner_text()
    shots(page, "result chart hover")

    # Linked panes: the equity pane's crosshair reads out the same bar; dragging the
    # drawdown pane scrolls every pane's time axis (the candles move with it).
    page.mouse.move(0, 0)
    _hover(page, "#price-chart", t, 3)
    assert _readout(page, "O") == f"{row['open']:,.2f}"
    before = page.evaluate(
        "() => Charts.instances.get(document.getElementById('price-chart')).chart"
        ".timeScale().getVisibleRange()"
    )
    dd = page.evaluate(
        """() => {
          const el = document.getElementById('price-chart');
          const h = Charts.instances.get(el), panes = h.chart.panes();
          const box = el.getBoundingClientRect();
          let top = 0;
          for (let k = 0; k < 4; k++) top += panes[k].getHeight() + 1;
          return {x: box.left + box.width / 2, y: box.top + top + panes[4].getHeight() / 2};
        }"""
    )
    page.mouse.move(dd["x"], dd["y"])
    page.mouse.down()
    page.mouse.move(dd["x"] + 150, dd["y"], steps=8)
    page.mouse.up()
    after = page.evaluate(
        """() => {
          const h = Charts.instances.get(document.getElementById('price-chart'));
          const range = h.chart.timeScale().getVisibleLogicalRange();
          return {time: h.chart.timeScale().getVisibleRange(),
                  bars: h.price.barsInLogicalRange(range)};
        }"""
    )
    assert after["time"]["from"] < before["from"] and after["time"]["to"] < before["to"]
    assert after["bars"]["from"] == after["time"]["from"]

    # The drawdown axis stops at 0; the equity goes to a log scale and back.
    top = page.evaluate(
        "() => Charts.instances.get(document.getElementById('price-chart')).drawdown"
        ".priceScale().getVisibleRange()"
    )
    assert top["to"] <= 0 and top["from"] < 0
    page.click("[data-equity-mode=log]")
    assert page.get_attribute("#price-chart", "data-mode") == "log"
    assert page.get_attribute("[data-equity-mode=log]", "aria-pressed") == "true"
    mode = page.evaluate(
        "() => Charts.instances.get(document.getElementById('price-chart')).equity.lines[0]"
        ".series.priceScale().options().mode"
    )
    assert mode == 1  # PriceScaleMode.Logarithmic
    page.click("[data-equity-mode=pct]")
    assert page.get_attribute("#price-chart", "data-mode") == "pct"
    shots(page, "result chart log equity")

    # The same component's equity chart, as the compare and walk-forward pages call it:
    # curves of different sizes on one basis (% from each one's start).
    shown = page.evaluate(
        """() => {
          const el = document.createElement("div");
          el.className = "chart chart-small";
          document.getElementById("chart-card").appendChild(el);
          const t = [1700000000, 1700003600, 1700007200];
          const h = Charts.equity(el, [
            {name: "run A", time_epoch_s: t, v: [10000, 11000, 12100]},
            {name: "run B", time_epoch_s: t, v: [500, 450, 1000]},
          ], {mode: "log"});
          const box = el.previousElementSibling;
          return {series: el.dataset.series, mode: el.dataset.mode, drawn: el.dataset.drawn,
                  a: box.querySelector("[data-key='run A'] .v").textContent,
                  b: box.querySelector("[data-key='run B'] .v").textContent,
                  scale: h.lines[0].series.priceScale().options().mode};
        }"""
    )
    assert shown == {
        "series": "2",
        "mode": "log",
        "drawn": "3",
        "a": "+21.00%",
        "b": "+100.00%",
        "scale": 1,
    }


def test_market_data_chart_reads_out_prices_to_the_symbols_precision(sized):
    from apps.marketdata.selectors import candles_frame, price_precision
    from apps.marketdata.services import candles_import

    page, user, shots = sized
    lines = (ROOT / "data" / "demo" / "ETHBTC-1m-2018-01.csv").read_text().splitlines()[:600]
    record = candles_import(source="\n".join(lines).encode(), symbol="ETHBTC", interval="1m")
    assert record.status == "succeeded", record.error
    precision = price_precision("ETHBTC")
    frame = candles_frame(symbol="ETHBTC", interval="1m")
    assert precision > 2 and float(frame["close"].iloc[0]) < 1

    page.goto("/market-data/?symbol=ETHBTC&interval=1m")
    page.wait_for_selector("#main-chart[data-drawn]")
    assert int(page.get_attribute("#main-chart", "data-drawn")) == len(frame)
    k = len(frame) - 30
    t = int(frame.index[k].timestamp())
    page.locator("#main-chart").scroll_into_view_if_needed()
    _hover(page, "#main-chart", t, 0, zoom=True)
    row = frame.iloc[k]
    for key, field in (("O", "open"), ("H", "high"), ("L", "low"), ("C", "close")):
        assert _readout(page, key) == f"{row[field]:,.{precision}f}"
    # The price axis labels carry the same decimals (not "0.10").
    label = page.evaluate(
        "() => Charts.instances.get(document.getElementById('main-chart')).price.options()"
        ".priceFormat"
    )
    assert label["precision"] == precision
    assert np.isclose(label["minMove"], 10**-precision)
    shots(page, "market data chart hover")
