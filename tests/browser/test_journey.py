"""A new user's first session, in a real browser, asserting on what the pages show.

Sign in -> dashboard -> upload a candle file and see its chart -> write a strategy with a
typo, see the error beside the line, fix it and save -> backtest it and watch the progress
bar reach done -> the result page's charts and trade markers -> train a model, metrics next
to the baseline -> an agent and a Mother AI decision, executed -> the portfolio changed -> a replay of
the agent stepped on its market clock (the page updates in place) -> a desk backtest of it
against the random band, its trades and audit -> connect a Binance key (fake exchange) and see it masked, the secret nowhere.
Any console error, page error, failed request, HTTP error or CSP violation fails it
(tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BTC_1H = ROOT / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"
PASSWORD = "newbie-pass-2024"
BINANCE_KEY = "BrowserKey0123456789abcdWXYZ"
BINANCE_SECRET = "BrowserSecret9f8e7d6c5b4a3210QQ"
CANDLES = (
    2000  # 2020-08-01 .. 2020-10-24 (moved to end now): ends in an uptrend, so the agent says buy
)

STRATEGY = {
    "strategy_name": "Trend follower",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "close", "condition": "> ema(50)"},
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 75"},
    ],
    "exit_conditions": [{"indicator": "close", "condition": "< ema(50)"}],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 3, "take_profit_pct": 6},
}


@pytest.fixture
def newbie(django_user_model):
    user = django_user_model.objects.create_user(username="newbie", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="import_candles"))
    return user


@pytest.fixture
def fake_binance(settings):
    from apps.binance.tests.fakeserver import FakeBinance

    server = FakeBinance({BINANCE_KEY: BINANCE_SECRET}).start()
    settings.BINANCE_BASE_URL = server.url
    settings.BINANCE_TIMEOUT = 3
    yield server
    server.stop()


@pytest.fixture
def candle_file(tmp_path):
    """The slice moved in time to end at the current hour, so the agent's signal is fresh
    and the Mother AI may take it (a stale one is skipped, SPEC §7a Live)."""
    from django.utils import timezone

    from conftest import shifted_candle_lines

    hour = 3_600_000
    now_ms = int(timezone.now().timestamp() * 1000) // hour * hour
    lines = BTC_1H.read_text().splitlines()[:CANDLES]
    path = tmp_path / "BTCUSDT-1h-2020-08.csv"
    path.write_bytes(shifted_candle_lines(lines, last_close_ms=now_ms, interval_ms=hour) + b"\n")
    return path


def open_times(path: Path) -> list[datetime]:
    """The candle file's open times (UTC), to choose windows of the uploaded data."""
    return [
        datetime.fromtimestamp(int(line.split(",", 1)[0]) / 1000, tz=UTC)
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def utc_text(t: datetime) -> str:
    """A form's UTC date-time field."""
    return t.strftime("%Y-%m-%d %H:%M")


# A replay clock or a market time as the pages print them: "2026-11-18 05:00 UTC".
MARKET_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")


def settle(page) -> None:
    """Wait until the page's own fetches are done (leaving earlier would abort them)."""
    page.wait_for_load_state("networkidle")


def nav(page, label: str) -> None:
    page.locator("nav.nav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def drawn(page, selector: str) -> int:
    """A lightweight-charts chart has drawn: canvases inside, and its data-drawn count."""
    page.wait_for_selector(f"{selector}[data-drawn]")
    assert page.locator(f"{selector} canvas").count() > 0, f"{selector} has no canvas"
    box = page.locator(f"{selector} canvas").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    return int(page.get_attribute(selector, "data-drawn"))


def _set_consuming(on: bool) -> None:
    """Pause or resume the worker's queue, so a job's queued state stays on screen."""
    from tradingsite.celery import app

    replies = (
        app.control.add_consumer("celery", reply=True)
        if on
        else app.control.cancel_consumer("celery", reply=True)
    )
    assert replies, "no worker answered"


def test_new_user_journey(
    celery_worker, fake_binance, newbie, candle_file, live_server, page, watch, shots
):
    # --- sign in (a wrong password first: the form says so, no error status) --------------
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    page.fill("#id_username", "newbie")
    page.fill("#id_password", "not-my-password")
    page.click("button:has-text('Sign in')")
    assert "Please enter a correct username and password" in text(page, ".errors")
    shots(page, "sign-in error")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(live_server.url + "/")
    settle(page)

    # --- dashboard ------------------------------------------------------------------------
    assert text(page, "h1") == "Dashboard"
    assert text(page, ".logout .muted") == "newbie"
    value_before = text(page, "#dash-value")
    assert value_before == "10,000.00 USDT"
    assert "No agents" in text(page, "#predictions")
    assert "No decision yet" in page.content()
    assert "No market data yet" in page.content()
    # No order yet: a flat line from the start to now at the initial cash.
    assert drawn(page, "#pnl-chart") == 2
    shots(page, "dashboard empty")
    watch.assert_clean()

    # --- market data: upload a slice of a demo file, see its chart ----------------------
    nav(page, "Market data")
    assert "No candles yet" in text(page, "#coverage")
    page.set_input_files("#id_file", str(candle_file))
    page.fill("#id_symbol", "btcusdt")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/market-data/\?symbol=BTCUSDT&interval=1h$"))
    assert f"Imported BTCUSDT 1h: {CANDLES} new" in text(page, ".messages")
    coverage = text(page, "#coverage tbody tr.selected")
    assert "BTCUSDT" in coverage and f"{CANDLES:,}" in coverage
    assert drawn(page, "#main-chart") == CANDLES
    # The library's logo is off (its inline style breaks the CSP); the footer attributes it.
    assert page.locator("#main-chart #tv-attr-logo").count() == 0
    assert "TradingView Lightweight Charts" in text(page, "footer")
    settle(page)
    shots(page, "market data chart")
    watch.assert_clean()

    # --- strategy: a typo, the error beside its line; fixed, saved ----------------------
    nav(page, "Strategies")
    page.click("text=New strategy")
    settle(page)
    typo = json.dumps(STRATEGY, indent=2).replace('"rsi"', '"rsii"')
    typo_line = typo.splitlines().index('      "indicator": "rsii",') + 1
    with watch.provoked("/api/strategies/validate/", 400):
        page.fill("#id_strategy_json", typo)
        page.wait_for_selector("#strategy-errors:not(.hidden) li")
        settle(page)
    error = text(page, "#strategy-errors")
    assert f"line {typo_line}" in error and "entry_conditions[1].indicator" in error, error
    assert "rsii" in error
    assert page.locator("#strategy-ok").is_hidden()
    assert text(page, ".gutter .bad") == str(typo_line)
    shots(page, "strategy typo inline error")
    # Saving anyway: the server refuses and shows the same error beside the same line.
    page.click("#strategy-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert text(page, "h1") == "New strategy"
    error = text(page, "#strategy-errors")
    assert f"line {typo_line}" in error and "entry_conditions[1].indicator" in error, error
    assert text(page, ".gutter .bad") == str(typo_line)
    settle(page)
    watch.assert_clean()

    page.fill("#id_strategy_json", json.dumps(STRATEGY, indent=2))
    page.wait_for_selector("#strategy-ok:not(.hidden)")
    assert "Valid. Indicators:" in text(page, "#strategy-ok")
    assert page.locator("#strategy-errors").is_hidden()
    assert page.locator(".gutter .bad").count() == 0
    shots(page, "strategy fixed")
    settle(page)
    page.click("#strategy-form button[type=submit]")
    page.wait_for_url(re.compile(r"/strategies/\d+/$"))
    assert text(page, "h1").startswith("Trend follower")
    assert "Saved Trend follower (version 1)." in text(page, ".messages")
    assert page.locator("#versions tbody tr").count() == 1
    shots(page, "strategy saved")
    watch.assert_clean()

    # --- backtest it; the progress bar goes from queued to done -------------------------
    page.click("#backtest-this")
    page.wait_for_load_state("domcontentloaded")
    assert text(page, "h1") == "New backtest"
    assert "Trend follower" in page.locator("#id_strategy option:checked").inner_text()
    _set_consuming(False)
    try:
        page.click("#backtest-form button[type=submit]")
        page.wait_for_url(re.compile(r"/backtests/\d+/$"))
        bar = page.locator("#run-progress")
        assert bar.is_visible() and bar.get_attribute("value") in ("0", "0.0")
        page.wait_for_selector("[data-job-status]:has-text('queued 0%')")
        shots(page, "backtest queued")
    finally:
        _set_consuming(True)
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if page.locator("#headline").count():
                break
            if bar.count():
                seen.append(float(bar.get_attribute("value") or 0))
        except Exception:  # the page is reloading under us
            pass
        time.sleep(0.1)
    assert seen == sorted(seen), f"the progress went backwards: {seen}"
    # The bar disappears with the reload the job's end triggers: the run is done.
    page.wait_for_selector("#headline")
    assert bar.count() == 0
    settle(page)

    # --- the result page: candles with trade markers, equity and drawdown -------------
    assert drawn(page, "#price-chart") == CANDLES
    page.wait_for_selector("#price-chart[data-markers]")
    trades = page.locator("#trades tbody tr").count()
    assert trades > 2, "the strategy should trade on this data"
    assert int(page.get_attribute("#price-chart", "data-markers")) == 2 * trades
    # Equity and drawdown are panes of the same chart (one time axis): tests/browser/test_charts.py
    assert int(page.get_attribute("#price-chart", "data-equity")) > 10
    assert int(page.get_attribute("#price-chart", "data-drawdown")) > 10
    headline = text(page, "#headline")
    assert "Final balance" in headline and "Buy & hold" in headline
    assert re.search(r"Trades\s+\d+", headline)
    shots(page, "backtest result")
    result_url = page.url
    nav(page, "Backtests")
    run = page.locator("#runs tbody tr").first
    assert "Trend follower" in run.inner_text() and "succeeded" in run.inner_text().lower()
    assert f"\t{trades}\t" in run.inner_text()
    shots(page, "backtests list")
    watch.assert_clean()

    # --- train a model: its metrics next to the majority baseline -----------------------
    nav(page, "Models")
    assert page.input_value("#id_symbol") == "BTCUSDT"
    page.fill("#id_n_estimators", "60")
    page.click("#train-form button[type=submit]")
    page.wait_for_url(re.compile(r"/ml/\d+/$"))
    page.wait_for_selector("#metrics", timeout=180_000)
    settle(page)
    metrics = page.locator("#metrics")
    assert metrics.locator("thead").inner_text().split() == [
        "Metric",
        "Model",
        "Majority",
        "baseline",
    ]
    accuracy = metrics.locator("tbody tr").first.locator("td").all_inner_texts()
    assert accuracy[0] == "Accuracy"
    # Percentages, as every ratio reads on the pages: "51.23%".
    assert all(re.fullmatch(r"\d{1,3}\.\d\d%", a) for a in accuracy[1:]), accuracy
    model_acc, baseline_acc = (float(a.rstrip("%")) for a in accuracy[1:])
    assert 0 < model_acc < 100 and 50 <= baseline_acc < 100
    verdict = page.locator("#no-edge, p.ok").first.inner_text()
    assert accuracy[2] in verdict
    # Importance bars are sized by jobs.js (no inline styles under the CSP): the top one is full.
    top = page.locator("#importances .bar-fill").first
    assert top.evaluate("el => el.style.width") == "100%"
    shots(page, "model metrics")
    model_url = page.url
    watch.assert_clean()

    # --- an agent, then a Mother AI decision, executed ----------------------------------
    nav(page, "Agents")
    page.fill("#a-symbol", "BTCUSDT")
    page.click("#agent-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    settle(page)
    row = page.locator("#agents tbody tr").first
    assert "Trend follower" in row.inner_text()
    assert row.locator("td.signal-buy").inner_text() == "buy"
    shots(page, "agents")
    row.get_by_role("link", name="BTCUSDTAgent").click()
    page.wait_for_load_state("domcontentloaded")
    assert text(page, "#evaluation .signal-buy") == "buy"
    fired = page.locator("#reasons tbody tr", has_text="close > ema(50)")
    assert fired.locator("td").nth(2).inner_text() == "yes"
    shots(page, "agent")
    watch.assert_clean()

    nav(page, "Mother AI")
    assert "No decisions yet" in text(page, "#decisions")
    page.fill("#d-min", "0")
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(re.compile(r"/mother-ai/\d+/$"))
    assert "1 signal(s) chosen" in text(page, ".messages")
    chosen = page.locator("#candidates tbody tr.selected")
    assert chosen.count() == 1 and "taken: rank 1" in chosen.inner_text()
    page.click("#execute-decision")
    page.wait_for_load_state("domcontentloaded")
    assert "Executed: 1 paper order(s) placed." in text(page, ".messages")
    execution = page.locator("#candidates tbody tr.selected td").last.inner_text()
    assert re.fullmatch(r"buy \d+\.\d{1,8} at [\d,]+\.\d\d", execution), execution
    settle(page)
    shots(page, "decision executed")
    decision_url = page.url
    watch.assert_clean()

    # --- the portfolio changed ----------------------------------------------------------
    nav(page, "Portfolio")
    settle(page)
    positions = page.locator("#positions tbody tr")
    assert positions.count() == 1 and "BTCUSDT" in positions.inner_text()
    assert "motherai" in positions.inner_text()
    cash = float(text(page, "#cash").removesuffix(" USDT").replace(",", ""))
    assert cash < 10000
    orders = text(page, "#orders")
    assert "BTCUSDT" in orders and "buy" in orders and "motherai" in orders
    assert drawn(page, "#pnl-chart") == 3  # start, the order, now
    shots(page, "portfolio")
    nav(page, "Dashboard")
    settle(page)
    assert page.locator(".stat", has_text="Open positions").locator("strong").inner_text() == "1"
    assert text(page, "#dash-value") != value_before
    assert "taken: rank 1" in text(page, "#candidates")
    assert drawn(page, "#pnl-chart") >= 1
    assert drawn(page, "[data-candles-chart]") == 500
    shots(page, "dashboard after")
    watch.assert_clean()

    # --- replay: the agent on a market clock, stepped from its page ---------------------
    # A window of the uploaded candles where the trend follower buys, then sells (found
    # once on this slice; the agent has no model, so any window of its candles may run).
    opens = open_times(candle_file)
    nav(page, "Replay")
    assert "No replay sessions yet." in text(page, "#sessions")
    page.fill("#id_name", "Journey replay")
    page.check("#id_agents_0")
    assert "BTCUSDTAgent" in page.locator("label", has=page.locator("#id_agents_0")).inner_text()
    page.fill("#id_start", utc_text(opens[-280]))
    page.fill("#id_end", utc_text(opens[-200]))
    page.fill("#id_bars_per_step", "3")
    page.fill("#id_step_seconds", "0.5")
    page.fill("#id_min_score", "0")
    page.uncheck("#id_start_now")
    page.click("#replay-form button[type=submit]")
    page.wait_for_url(re.compile(r"/replay/\d+/$"))
    assert re.match(r"Replay #\d+ created\.", text(page, ".messages"))
    replay_url = page.url
    settle(page)
    assert text(page, "#status") == "ready" and text(page, "#clock") == "not started"
    assert "No decisions yet" in text(page, "#decisions")
    assert "No fills yet" in text(page, "#fills")
    total = int(text(page, "#progress").split(" / ")[1])
    assert total == 81, text(page, "#progress")
    # From here the page must update in place: no navigation of the top frame, and the
    # same document (a marker set on its window survives).
    navigations: list[str] = []
    page.on("framenavigated", lambda f: f.parent_frame is None and navigations.append(f.url))
    page.evaluate("() => { window.__journeyDocument = true; }")

    def clock_after(before: str) -> str:
        page.wait_for_function(
            "(b) => { const c = document.getElementById('clock').textContent;"
            " return c !== b && c !== 'not started'; }",
            arg=before,
        )
        return text(page, "#clock")

    controls = page.locator("#controls")
    controls.get_by_role("button", name="Step", exact=True).click()
    clock1 = clock_after("not started")
    assert MARKET_TIME.match(clock1), clock1
    assert text(page, "#status") == "paused"
    assert text(page, "#progress") == f"3 / {total}"
    # The first close already signals buy: taken, and filled at the next candle's open.
    page.wait_for_selector("#fills tbody tr td.num")
    controls.get_by_role("button", name="Step", exact=True).click()
    clock2 = clock_after(clock1)
    assert clock2 > clock1 and text(page, "#progress") == f"6 / {total}"
    decisions = page.locator("#decisions tbody tr")
    assert decisions.count() >= 6
    taken = page.locator("#decisions tbody tr", has=page.locator("td.pos", has_text="taken"))
    assert taken.count() >= 1
    first = taken.last.locator("td").all_inner_texts()
    assert MARKET_TIME.match(first[0]) and first[1] == "BTCUSDTAgent" and first[2] == "buy"
    assert first[8].startswith("filled "), first
    assert MARKET_TIME.match(first[8].removeprefix("filled ")), first
    assert "close > ema(50)" in first[9], first  # the reasons, with the values seen
    fill = page.locator("#fills tbody tr").last.locator("td").all_inner_texts()
    assert MARKET_TIME.match(fill[0]) and fill[0] <= clock2, fill  # its market time
    assert fill[0] >= fill[1] and fill[2:4] == ["BTCUSDTAgent", "buy"], fill
    assert fill[0] == first[8].removeprefix("filled ")
    assert page.locator("#positions tbody tr", has_text="BTCUSDT").count() == 1
    assert drawn(page, "#equity-chart") == 6  # one equity point per decision time
    shots(page, "replay stepped")

    # Start the clock: Celery beat is not running here, so the test ticks for it (the real
    # worker runs each step) until the page, polling, shows the clock has moved; then pause.
    from apps.replay.services import replay_tick
    from apps.replay.tasks import replay_step

    controls.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_selector("#status:text-is('running')")
    assert controls.get_by_role("button", name="Pause", exact=True).is_enabled()
    assert controls.get_by_role("button", name="Start", exact=True).is_disabled()
    deadline = time.monotonic() + 60
    while text(page, "#clock") == clock2 and time.monotonic() < deadline:
        replay_tick(send=replay_step.delay)
        time.sleep(0.6)
    clock3 = clock_after(clock2)
    assert clock3 > clock2
    controls.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_selector("#status:text-is('paused')")
    settle(page)
    steps = int(text(page, "#progress").split(" / ")[0])
    assert steps >= 9 and drawn(page, "#equity-chart") == steps
    assert navigations == [] and page.url == replay_url
    assert page.evaluate("() => window.__journeyDocument === true"), "the page was reloaded"
    shots(page, "replay paused")
    # Stopped for good: the buttons say so, and the page stops polling.
    controls.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_selector("#status:text-is('stopped')")
    assert controls.get_by_role("button", name="Step", exact=True).is_disabled()
    assert navigations == [] and page.evaluate("() => window.__journeyDocument === true")
    settle(page)
    nav(page, "Replay")
    session = page.locator("#sessions tbody tr").first
    assert "Journey replay" in session.inner_text() and "stopped" in session.inner_text()
    watch.assert_clean()

    # --- a desk backtest of the agent: against the random band, trades and audit -------
    nav(page, "Desk backtests")
    assert "No desk backtests yet." in text(page, "#desk-backtests")
    page.click("text=New desk backtest")
    page.wait_for_load_state("domcontentloaded")
    assert text(page, "h1") == "New desk backtest"
    page.check("#id_agents_0")
    page.fill("#id_start", utc_text(opens[-400]))
    page.fill("#id_end", utc_text(opens[-1]))
    page.fill("#id_name", "Journey desk")
    page.fill("#id_top_n", "1")
    page.fill("#id_min_score", "0")
    page.click("#desk-backtest-form button[type=submit]")
    page.wait_for_url(re.compile(r"/mother-ai/backtests/\d+/$"))
    deskbt_url = page.url
    # The job's end reloads the page (jobs.js): the headline replaces the progress bar.
    page.wait_for_selector("#headline", timeout=120_000)
    assert page.locator("#run-progress").count() == 0
    settle(page)
    assert "Journey desk" in text(page, "h1")
    # The desk, the agent alone, buy & hold, and the random mean with its 5% and 95% lines.
    assert drawn(page, "#desk-equity-chart") == 400  # a point per decision time
    assert page.get_attribute("#desk-equity-chart", "data-series") == "6"
    verdict = text(page, "#verdict")
    # One agent: random selection has nothing else to pick, and the page says so instead
    # of ranking the desk against a band of copies of itself.
    assert verdict.startswith("The desk ends no random band"), verdict
    assert "better than" not in verdict, verdict
    headline = text(page, "#headline")
    assert "Desk final equity" in headline and "Random 5–95%" in headline
    metrics = page.locator("#metrics tbody th").all_inner_texts()
    assert metrics == ["Desk", "BTCUSDTAgent alone", "Buy & hold", "Random (mean)"], metrics
    trades = page.locator("#trades tbody tr")
    assert trades.count() >= 2, "the desk should trade in this window"
    trade = trades.first.locator("td").all_inner_texts()
    assert trade[1:3] == ["BTCUSDTAgent", "BTCUSDT"], trade
    # Market times, bought at the close that decided it (= the next candle's open).
    decided, filled = trade[3].split(" → ")
    assert MARKET_TIME.match(decided) and decided == filled, trade
    audit_time = page.locator("#audit tbody td").first.inner_text()
    assert MARKET_TIME.match(audit_time), audit_time
    statuses = set(page.locator("#audit tbody td:nth-child(9)").all_inner_texts())
    assert "taken" in statuses and len(statuses) > 1, statuses
    assert all(re.search(r"[a-z]{4}", s) for s in statuses), statuses  # words, not codes
    shots(page, "desk backtest result")
    watch.assert_clean()

    # The audit filtered to the taken actions only.
    page.check("#audit-filter input[name=taken]")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_url(re.compile(r"\?.*taken=on"))
    settle(page)
    assert page.is_checked("#audit-filter input[name=taken]")
    outcomes = page.locator("#audit tbody td:nth-child(9)").all_inner_texts()
    assert outcomes and set(outcomes) == {"taken"}, outcomes
    fills = page.locator("#audit tbody td:nth-child(10)").all_inner_texts()
    assert set(fills) <= {"filled", "no next candle", "no cash to buy with"}, fills
    assert re.match(
        rf"{len(outcomes)} signals? · page 1 of 1", text(page, "#audit-section p.muted")
    )
    assert len(outcomes) >= trades.count()
    shots(page, "desk backtest audit taken")
    nav(page, "Desk backtests")
    row = page.locator("#desk-backtests tbody tr").first
    assert "succeeded" in row.inner_text().lower() and "random band" in row.inner_text()
    watch.assert_clean()

    # --- connect a Binance key: masked, the secret nowhere ------------------------------
    nav(page, "Binance")
    page.fill("#b-key", BINANCE_KEY)
    page.fill("#b-secret", BINANCE_SECRET)
    page.click("#connect-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Connected to Binance." in text(page, ".messages")
    hint = text(page, "#key-hint")
    assert hint.endswith(BINANCE_KEY[-4:]) and BINANCE_KEY not in hint
    html = page.content()
    assert BINANCE_SECRET not in html and BINANCE_KEY not in html
    assert page.input_value("#b-secret") == "" and page.input_value("#b-key") == ""
    assert any("/api/v3/account" in r for r in fake_binance.requests)
    shots(page, "binance connected")
    watch.assert_clean()

    # --- the same pages on a phone: they reflow, nothing wider than the screen -----------
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/", "/market-data/", result_url, model_url, decision_url, "/portfolio/"):
        page.goto(url)
        settle(page)
        shots(page, "phone " + (urlsplit(url).path.strip("/") or "dashboard"))
    assert drawn(page, "#pnl-chart") >= 1
    watch.assert_clean()
    # ... and the desk's new pages: the replay session and the desk backtest's result.
    for url in ("/replay/", replay_url, "/mother-ai/backtests/", deskbt_url):
        page.goto(url)
        settle(page)
        shots(page, "phone " + urlsplit(url).path.strip("/"))
        if url == replay_url:
            assert text(page, "#status") == "stopped"
            assert drawn(page, "#equity-chart") == steps
        if url == deskbt_url:
            assert drawn(page, "#desk-equity-chart") == 400
        watch.assert_clean()


def test_api_docs_render_under_the_csp(page, watch, shots, live_server):
    response = page.goto("/api/docs/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page.wait_for_selector(".swagger-ui .information-container .title")
    assert "tradingsite API" in text(page, ".swagger-ui .information-container .title")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() > 20
    token = page.locator(".opblock-post", has_text="/api/auth/token/")
    token.locator(".opblock-summary").click()
    token.locator(".opblock-body").wait_for()
    assert "username" in token.inner_text()
    settle(page)
    shots(page, "api docs")
    watch.assert_clean()
