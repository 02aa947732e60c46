"""Every page of the app, read as a person would, at a desktop (1440x900) and a phone
(390x844) width, on demo-like data: results, a sweep, a walk-forward, models, agents, a
Mother AI decision, a replay that has stepped, a desk backtest, a paper portfolio with an ETHBTC round trip,
market data and strategies.

Each page must:
- answer without an error, a console error or a CSP violation (tests/browser/conftest.py);
- fit the window (the page never scrolls sideways) and keep every table inside its card:
  at 1440px every table fits its card; on a phone a wide table scrolls inside its own
  scroll box, and key-value tables (metrics, assumptions) still fit;
- show no Python repr (``None``, ``False``, ``True``, ``{'``, ``[{``) and no float with
  more decimals than any price precision (``\\d+\\.\\d{9,}``);
- show ETHBTC prices (~0.089) to the pair's precision, never rounded to "0.09" or "0.10".

Then the next steps a result offers, clicked through: re-run (same metrics as the run it
repeats), clone the strategy, make an agent, delete (confirm, then gone), a model's "use in
an agent", a strategy's backtests, the way back from the API docs, and a list row that a
finished job updates in place without reloading the page.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
PASSWORD = "pages-pass-2024"

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# What must never reach a page's text.
REPRS = re.compile(r"\bNone\b|\bFalse\b|\bTrue\b|\{'|\[\{")
LONG_FLOAT = re.compile(r"\d+\.\d{9,}")
# ETHBTC trades near 0.089: shown to its stored precision (8 places in the demo file).
ETHBTC_PRICE = re.compile(r"^0\.\d{5,8}$")
HOME = re.compile(r"^https?://[^/]+/$")

ETHBTC_RSI = {
    "strategy_name": "ETHBTC RSI",
    "symbol": "ETHBTC",
    "timeframe": "1m",
    "entry_conditions": [{"indicator": "rsi", "params": {"period": 14}, "condition": "< 30"}],
    "exit_conditions": [{"indicator": "rsi", "params": {"period": 14}, "condition": "> 70"}],
    "risk": {"stop_loss_pct": 2, "take_profit_pct": 3},
}
BTC_TREND = {
    "strategy_name": "BTC trend",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "close", "condition": "> ema(50)"},
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 70"},
    ],
    "exit_conditions": [{"indicator": "close", "condition": "< ema(50)"}],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 3, "take_profit_pct": 6},
}

# Each table card, measured in the page: does its table fit, or scroll in its own box?
TABLES = """() => Array.from(document.querySelectorAll(".table-wrap")).map((w) => {
  const card = w.closest(".card") || document.body;
  const table = w.querySelector("table");
  return {
    id: (table && table.id) || "(table without id)",
    kv: !!(table && table.classList.contains("kv")),
    fits: w.scrollWidth <= w.clientWidth + 1,
    scrolls: ["auto", "scroll"].includes(getComputedStyle(w).overflowX),
    inside: w.getBoundingClientRect().right <= card.getBoundingClientRect().right + 1,
    cardFits: card.scrollWidth <= card.clientWidth + 1,
    width: w.scrollWidth, room: w.clientWidth,
  };
})"""


@pytest.fixture
def site(django_user_model):
    """A user with demo-like data; returns the objects the pages are about."""
    from apps.agents.services import agent_create
    from apps.backtests.services import backtest_create, sweep_create
    from apps.core.jobs import jobs_inline
    from apps.deskbt.services import desk_backtest_create
    from apps.marketdata.services import candles_import
    from apps.ml.services import model_train_start
    from apps.motherai.services import decision_make
    from apps.portfolio.services import order_place
    from apps.replay.services import replay_control, replay_create
    from apps.strategies.services import strategy_create
    from engine.backtest import BacktestConfig

    user = django_user_model.objects.create_user(username="reader", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="import_candles"))
    for filename, symbol, interval in (
        ("ETHBTC-1m-2018-01.csv", "ETHBTC", "1m"),
        ("BTCUSDT-1h-2020-08_2021-06.csv", "BTCUSDT", "1h"),
    ):
        record = candles_import(
            source=DEMO / filename, symbol=symbol, interval=interval, user=user, filename=filename
        )
        assert record.status == "succeeded", record.error
    eth = strategy_create(owner=user, definition=ETHBTC_RSI, name="ETHBTC RSI")
    btc = strategy_create(owner=user, definition=BTC_TREND, name="BTC trend")
    with jobs_inline():
        eth_run = backtest_create(owner=user, strategy=eth.pk, config=BacktestConfig())
        btc_run = backtest_create(
            owner=user,
            strategy=btc.pk,
            end=datetime(2021, 1, 1, tzinfo=UTC),
            config=BacktestConfig(slippage_bps=2.0),
        )
        sweep = sweep_create(
            owner=user,
            strategy=eth.pk,
            grid={"entry_conditions[0].params.period": [7, 14], "risk.stop_loss_pct": [1, 2]},
        )
        walk = sweep_create(
            owner=user,
            strategy=eth.pk,
            grid={"entry_conditions[0].params.period": [7, 14]},
            walk_forward_windows=3,
        )
        model = model_train_start(
            owner=user,
            symbol="ETHBTC",
            interval="1m",
            start=datetime(2018, 1, 25, tzinfo=UTC),
            params={"n_estimators": 30, "min_samples_leaf": 5},
            name="ETHBTC 1m forest",
        )
    for job in (eth_run, btc_run, sweep, walk, model):
        job.refresh_from_db()
        assert job.status == "succeeded", (job, job.error)
    eth_agent = agent_create(owner=user, symbol="ETHBTC", strategy=eth, model=model)
    btc_agent = agent_create(owner=user, symbol="BTCUSDT", strategy=btc)
    decision_make(owner=user, trigger="page")
    # A paper round trip in ETHBTC (prices near 0.089) and an open BTCUSDT position.
    for symbol, action, price, day in (
        ("ETHBTC", "buy", "0.08912345", 10),
        ("ETHBTC", "sell", "0.09012345", 12),
        ("BTCUSDT", "buy", "28123.45", 20),
    ):
        order_place(
            owner=user,
            symbol=symbol,
            action=action,
            price=Decimal(price),
            market_time=datetime(
                2018 if symbol == "ETHBTC" else 2020,
                1 if symbol == "ETHBTC" else 12,
                day,
                tzinfo=UTC,
            ),
            confidence=0.512,
            strategy_name="ETHBTC RSI" if symbol == "ETHBTC" else "",
        )
    replay = replay_create(
        owner=user,
        name="Pages replay",
        agent_ids=[btc_agent.pk],
        start=datetime(2020, 11, 1, tzinfo=UTC),
        end=datetime(2020, 12, 1, tzinfo=UTC),
    )
    for _ in range(8):
        replay_control(session=replay, action="step")
    with jobs_inline():
        desk = desk_backtest_create(
            owner=user,
            agent_ids=[btc_agent.pk],
            start=datetime(2020, 10, 1, tzinfo=UTC),
            end=datetime(2020, 12, 1, tzinfo=UTC),
            name="Pages desk",
            seeds=5,
        )
    desk.refresh_from_db()
    assert desk.status == "succeeded", desk.error
    return {
        "user": user,
        "eth": eth,
        "btc": btc,
        "eth_run": eth_run,
        "btc_run": btc_run,
        "sweep": sweep,
        "walk": walk,
        "model": model,
        "eth_agent": eth_agent,
        "btc_agent": btc_agent,
        "replay": replay,
        "desk": desk,
    }


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(HOME)
    # Let the dashboard's chart fetches finish: leaving earlier aborts them (a failure).
    page.wait_for_load_state("networkidle")


def pages_of(site) -> list[str]:
    from apps.motherai.models import Decision

    decision = Decision.objects.filter(owner=site["user"]).latest("pk")
    return [
        "/",
        "/market-data/",
        "/market-data/?symbol=ETHBTC&interval=1m",
        "/strategies/",
        f"/strategies/{site['eth'].pk}/",
        f"/strategies/{site['btc'].pk}/",
        f"/strategies/{site['eth'].pk}/edit/",
        "/strategies/new/",
        "/backtests/",
        f"/backtests/{site['eth_run'].pk}/",
        f"/backtests/{site['btc_run'].pk}/",
        "/backtests/new/",
        "/backtests/sweeps/new/",
        f"/backtests/sweeps/{site['sweep'].pk}/",
        f"/backtests/sweeps/{site['walk'].pk}/",
        "/ml/",
        f"/ml/{site['model'].pk}/",
        "/agents/",
        f"/agents/{site['eth_agent'].pk}/",
        f"/agents/{site['btc_agent'].pk}/",
        "/mother-ai/",
        f"/mother-ai/{decision.pk}/",
        "/mother-ai/backtests/",
        "/mother-ai/backtests/new/",
        f"/mother-ai/backtests/{site['desk'].pk}/",
        "/replay/",
        f"/replay/{site['replay'].pk}/",
        "/portfolio/",
        "/binance/",
    ]


def visit(page, url: str) -> None:
    """Open a page and wait for its own fetches (leaving earlier would abort them)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")


def readable(page, url: str) -> list[str]:
    """What is wrong with the page's text and its tables (empty: nothing)."""
    problems = []
    body = page.inner_text("main")
    for rx, what in ((REPRS, "a Python repr"), (LONG_FLOAT, "an unformatted float")):
        for m in rx.finditer(body):
            around = body[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
            problems.append(f"{url}: {what} {m.group(0)!r} in …{around}…")
    desktop = page.viewport_size["width"] >= 1000
    for t in page.evaluate(TABLES):
        where = f"{url} table {t['id']} ({t['width']}px in {t['room']}px)"
        if not t["inside"] or not t["cardFits"]:
            problems.append(f"{where}: sticks out of its card")
        elif not t["fits"] and (desktop or t["kv"]):
            problems.append(f"{where}: cut (does not fit its card at this width)")
        elif not t["fits"] and not t["scrolls"]:
            problems.append(f"{where}: wider than its card and does not scroll")
    return problems


def column(page, table: str, header: str) -> list[str]:
    """The texts of a table's column, found by its header."""
    headers = [h.strip() for h in page.locator(f"{table} thead th").all_inner_texts()]
    i = headers.index(header) + 1
    return [c.strip() for c in page.locator(f"{table} tbody td:nth-child({i})").all_inner_texts()]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_is_readable_and_fits(site, live_server, browser, watch, shots, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-US")
    context.set_default_timeout(20_000)
    watch.attach(context)
    page = context.new_page()
    try:
        sign_in(page)
        problems = []
        for url in pages_of(site):
            response = page.goto(url)
            assert response.status == 200, (url, response.status)
            page.wait_for_load_state("networkidle")
            shots(page, url)  # fails when the page is wider than the window
            problems += readable(page, url)
        assert problems == [], "\n".join(problems)

        # ETHBTC (~0.089) reads to its precision wherever its prices are shown.
        visit(page, f"/backtests/{site['eth_run'].pk}/")
        entries = column(page, "#trades", "Entry price")
        assert entries and all(ETHBTC_PRICE.match(p) for p in entries), entries
        assert "0.09" not in entries and "0.10" not in entries
        visit(page, "/portfolio/")
        log = page.locator("#trade-log tbody tr", has_text="ETHBTC").first
        assert "0.08912345" in log.inner_text() and "0.09012345" in log.inner_text()
        visit(page, "/")
        eth_signal = page.locator("#predictions tbody tr", has_text="ETHBTC")
        entry = eth_signal.locator("td").nth(3).inner_text()
        assert ETHBTC_PRICE.match(entry), entry
        # One confidence, one style: a percentage in every card.
        for url, table in (
            ("/", "#predictions"),
            ("/agents/", "#agents"),
            ("/portfolio/", "#trade-log"),
        ):
            visit(page, url)
            values = [v for v in column(page, table, "Confidence") if v and v != "—"]
            assert values and all(re.match(r"^\d{1,3}\.\d%", v) for v in values), (url, values)
        # Metrics read as words with a definition, not snake_case keys.
        visit(page, f"/backtests/{site['btc_run'].pk}/")
        labels = page.locator("#metrics th").all_inner_texts()
        assert "Longest drawdown" in labels and not any("_" in x for x in labels), labels
        assert page.locator("#metrics th abbr[title]").count() >= 10
        rows = dict(r.split("\t", 1) for r in page.locator("#metrics tr").all_inner_texts())
        assert re.fullmatch(
            r"\d+ (minutes?|hours?|days?|months?|years?)(, .+)?", rows["Longest drawdown"]
        )
        assert re.fullmatch(r"[+-]\d+\.\d\d%", rows["Total return"]), rows
        # Coloured text (gains, losses, done) keeps 4.5:1 on its white card (WCAG AA).
        colours = page.evaluate(COLOURS)  # the result page: gains and losses
        visit(page, "/backtests/")
        colours |= page.evaluate(COLOURS)  # the list: statuses
        assert {"pos", "neg", "status-succeeded"} <= set(colours), colours
        for cls, rgb in colours.items():
            ratio = contrast(rgb, (255, 255, 255))
            assert ratio >= 4.5, (cls, rgb, ratio)
        # The title says it once.
        visit(page, "/portfolio/")
        assert "paper paper" not in page.inner_text("h1").lower()
    finally:
        context.close()
    watch.assert_clean()


# The text colour of the first element of each class that paints status or sign.
COLOURS = """() => {
  const out = {};
  for (const cls of ["pos", "neg", "status-succeeded", "status-failed", "status-running",
                     "signal-buy", "signal-sell", "stale", "muted"]) {
    const el = document.querySelector("main ." + cls);
    if (el) out[cls] = getComputedStyle(el).color.match(/\\d+/g).slice(0, 3).map(Number);
  }
  return out;
}"""


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours."""

    def luminance(rgb) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rerun_id(page, original: int) -> int:
    """The new run's id, once the re-run's redirect has landed on its page."""
    run_page = re.compile(r"/backtests/(\d+)/$")
    page.wait_for_url(lambda url: bool(m := run_page.search(url)) and int(m.group(1)) != original)
    return int(run_page.search(page.url).group(1))


def _set_consuming(on: bool) -> None:
    """Pause or resume the worker's queue, so a job stays queued while the page watches."""
    from tradingsite.celery import app

    replies = (
        app.control.add_consumer("celery", reply=True)
        if on
        else app.control.cancel_consumer("celery", reply=True)
    )
    assert replies, "no worker answered"


def test_next_steps_from_a_result(site, celery_worker, live_server, page, watch, shots):
    from apps.backtests.models import BacktestRun
    from apps.strategies.models import Strategy

    sign_in(page)
    run = site["eth_run"]
    # A strategy's page lists its backtests.
    page.goto(f"/strategies/{site['eth'].pk}/")
    listed = page.locator("#strategy-backtests tbody").inner_text()
    assert f"{run.pk}\t" in listed

    # --- re-run: a new run of the same thing, with the same numbers -------------------
    page.goto(f"/backtests/{run.pk}/")
    page.wait_for_load_state("networkidle")  # the chart, before leaving the page
    metrics_before = page.inner_text("#metrics")
    page.click("#rerun")
    again = rerun_id(page, run.pk)
    page.wait_for_selector("#headline", timeout=120_000)
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#metrics") == metrics_before
    rerun = BacktestRun.objects.get(pk=again)
    assert rerun.strategy_version_id == run.strategy_version_id
    assert rerun.strategy_definition == BacktestRun.objects.get(pk=run.pk).strategy_definition
    shots(page, "re-run result")

    # --- clone: a new strategy from the exact one the run used -------------------------
    page.click("#clone")
    page.wait_for_url(re.compile(r"/strategies/\d+/edit/$"))
    assert page.inner_text("h1").startswith("Edit ETHBTC RSI (copy)")
    copy = Strategy.objects.get(owner=site["user"], name="ETHBTC RSI (copy)")
    assert copy.definition == site["eth"].definition and copy.version == 1
    assert "ETHBTC RSI (copy)" in page.inner_text(".messages")

    # --- make an agent: the agent form arrives filled in ------------------------------
    page.goto(f"/backtests/{again}/")
    page.wait_for_load_state("networkidle")  # the chart, before leaving the page
    page.click("#make-agent")
    page.wait_for_url(re.compile(r"/agents/\?"))
    assert page.input_value("#a-symbol") == "ETHBTC"
    assert page.locator("#a-strategy option:checked").inner_text().startswith("ETHBTC RSI")
    assert page.locator("#a-strategy").input_value() == str(site["eth"].pk)

    # --- a model: use it in an agent --------------------------------------------------
    page.goto(f"/ml/{site['model'].pk}/")
    page.click("#use-in-agent")
    page.wait_for_url(re.compile(r"/agents/\?"))
    assert page.input_value("#a-symbol") == "ETHBTC"
    assert page.locator("#a-model").input_value() == str(site["model"].pk)

    # --- sweep: the sweep form with the strategy chosen -------------------------------
    page.goto(f"/backtests/{again}/")
    page.wait_for_load_state("networkidle")  # the chart, before leaving the page
    page.click("#sweep-this")
    page.wait_for_url(re.compile(r"/backtests/sweeps/new/\?strategy="))
    assert page.locator("#id_strategy").input_value() == str(site["eth"].pk)

    # --- delete, after the confirmation ----------------------------------------------
    page.goto(f"/backtests/{again}/")
    page.wait_for_load_state("networkidle")  # the chart, before leaving the page
    page.once("dialog", lambda d: d.dismiss())
    page.click("#delete")
    assert page.url.endswith(f"/backtests/{again}/"), "a dismissed confirm must not delete"
    assert BacktestRun.objects.filter(pk=again).exists()
    page.once("dialog", lambda d: d.accept())
    page.click("#delete")
    page.wait_for_url(re.compile(r"/backtests/$"))
    assert f"Deleted backtest #{again}" in page.inner_text(".messages")
    assert page.locator(f"#run-{again}").count() == 0
    assert not BacktestRun.objects.filter(pk=again).exists()
    assert page.request.get(f"/backtests/{again}/").status == 404

    # --- the API docs lead back to the app --------------------------------------------
    page.goto("/api/docs/")
    page.wait_for_load_state("networkidle")  # the schema, read by the docs page
    page.click("#api-back >> text=Back to the app")
    page.wait_for_url(HOME)
    assert page.inner_text("h1") == "Dashboard"
    page.wait_for_load_state("networkidle")


def test_a_list_row_follows_its_job_without_reloading(site, celery_worker, live_server, page):
    """A queued run's row in the backtests list shows its progress and, once the job is
    done, its results, all in place: the page is never loaded again."""
    sign_in(page)
    _set_consuming(False)
    try:
        page.goto(f"/backtests/{site['eth_run'].pk}/")
        page.click("#rerun")
        again = rerun_id(page, site["eth_run"].pk)
        # Its own page shows the queued state while it waits.
        page.wait_for_selector("#progress-box [data-job-status]:has-text('queued')")
        page.goto("/backtests/")
        row = page.locator(f"#run-{again}")
        # The server writes the status's label ("Queued 0%"), jobs.js its value ("queued 0%").
        assert "queued" in row.inner_text().lower() and row.get_attribute("data-job-url")
        page.evaluate("() => { window.__sameDocument = true; }")
        navigations = []
        page.on("framenavigated", lambda f: f == page.main_frame and navigations.append(f.url))
    finally:
        _set_consuming(True)
    deadline = time.monotonic() + 120
    while "succeeded" not in row.inner_text().lower() and time.monotonic() < deadline:
        time.sleep(0.2)
    cells = row.locator("td").all_inner_texts()
    # [compare box, id, strategy, symbol, status, return, ...]
    assert "succeeded" in cells[4].lower(), cells
    assert re.match(r"^[+-]?\d+\.\d\d%$", cells[5]), cells  # its return, now filled in
    assert row.get_attribute("data-job-url") is None  # the finished row stops polling
    assert navigations == [] and page.evaluate("() => window.__sameDocument === true")
