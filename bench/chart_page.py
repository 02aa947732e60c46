"""The backtest result page of a long run, in Chromium: what crosses the wire and how long
until the chart is on screen.

A generated series of N 1-minute candles (default 100,000; prices around 0.09 like
ETHBTC, so the chart shows 5 decimals) is imported into a scratch SQLite database, a
backtest of a MACD + EMA entry, RSI + Bollinger exit strategy runs over all of it, and gunicorn serves the
site as in production (tradingsite.settings.production's serving, 1 worker). Playwright
signs in and opens the result page cold (empty cache) several times, reading:
- bytes: the Resource Timing of every response (transferSize = on the wire, compressed
  when the server compresses; decodedBodySize = after decompression), for the chart
  request and for the whole page;
- time to first chart: the page's performance marks ("chart-drawn" once every series is
  set, "chart-painted" the next animation frame), from navigation start;
- hovering, the whole range in view: the median time from a pointer move (Playwright's
  round trip included) to the readout showing the bar under it; `level` is how many real
  bars one drawn bar holds at that zoom (charts.js draws a coarse level zoomed out).

    python -m bench.chart_page [--candles 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, machine, random_walk_candles, to_binance_csv

PASSWORD = "bench-pass-2024"
STRATEGY = {
    "strategy_name": "bench chart",
    "symbol": "RWBTC",
    "timeframe": "1m",
    "entry_conditions": [
        {
            "indicator": "macd",
            "params": {"fast": 12, "slow": 26, "signal": 9},
            "condition": "crosses_above macd(12,26,9).signal",
        },
        {"indicator": "close", "condition": "> ema(200)"},
    ],
    "exit_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "> 70"},
        {"indicator": "close", "condition": "< bollinger(20,2).lower"},
    ],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 1, "take_profit_pct": 2},
}


def _child_setup(n: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from apps.backtests.services import backtest_create
    from apps.marketdata.services import candles_import

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    frame = random_walk_candles(n)
    frame[["open", "high", "low", "close"]] *= 0.09 / 100.0
    record = candles_import(source=to_binance_csv(frame), symbol="RWBTC", interval="1m")
    assert record.status == "succeeded", record.error
    user = get_user_model().objects.create_user(username="bench", password=PASSWORD)
    run = backtest_create(owner=user, strategy_json=STRATEGY, symbol="RWBTC", interval="1m")
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return {"run": run.pk, "candles": run.candles_count, "trades": run.metrics["num_trades"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(base: str, run: int, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    loads = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        for _ in range(repeat):
            context = browser.new_context(
                base_url=base, viewport={"width": 1440, "height": 900}, locale="en-US"
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"/backtests/{run}/", wait_until="commit")
            page.wait_for_selector("#price-chart[data-painted]", timeout=120_000)
            timing = page.evaluate(
                """() => {
                  const mark = (n) => performance.getEntriesByName(n)[0].startTime;
                  const res = performance.getEntriesByType("resource");
                  const nav = performance.getEntriesByType("navigation")[0];
                  const chart = res.find((r) => r.name.includes("/chart/"));
                  const all = res.concat([nav]);
                  const sum = (k) => all.reduce((a, r) => a + (r[k] || 0), 0);
                  return {
                    drawn_ms: mark("chart-drawn"), painted_ms: mark("chart-painted"),
                    chart_request_ms: chart.responseEnd - chart.requestStart,
                    chart_wire_bytes: chart.transferSize, chart_body_bytes: chart.decodedBodySize,
                    page_wire_bytes: sum("transferSize"), page_body_bytes: sum("decodedBodySize"),
                    requests: all.length,
                  };
                }"""
            )
            page.locator("#chart-card").scroll_into_view_if_needed()
            box = page.locator("#price-chart").bounding_box()
            hovers = []
            for k in range(10):
                before = page.evaluate(
                    "() => document.querySelector('.chart-readout').dataset.time"
                )
                t0 = time.perf_counter()
                page.mouse.move(box["x"] + box["width"] * (0.2 + 0.06 * k), box["y"] + 150)
                page.wait_for_function(
                    "(b) => document.querySelector('.chart-readout').dataset.time !== b", arg=before
                )
                hovers.append((time.perf_counter() - t0) * 1000)
            timing["hover_ms"] = statistics.median(hovers)
            timing["level"] = int(page.get_attribute("#price-chart", "data-level"))
            timing["drawn_candles"] = int(page.get_attribute("#price-chart", "data-drawn"))
            loads.append(timing)
            context.close()
        browser.close()
    return {k: statistics.median(x[k] for x in loads) for k in loads[0] if k != "requests"} | {
        "requests": loads[0]["requests"],
        "runs": loads,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child_setup(args.candles)))
        return {}
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local",
            "STORAGE_DIR": tmp,
            "MEDIA_ROOT": f"{tmp}/media",
            "STATIC_ROOT": f"{tmp}/static",
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "CELERY_BROKER_URL": "",
            "JOBS_EAGER_MODE": "inline",
            "LOG_LEVEL": "WARNING",
            "LOG_FILE": f"{tmp}/bench.log",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "bench.chart_page", "--child", "--candles", str(args.candles)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        setup = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"setup {time.perf_counter() - t0:.1f}s: {setup}", file=sys.stderr)
        port = _free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "tradingsite.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            result = _measure(f"http://127.0.0.1:{port}", setup["run"], args.repeat)
        finally:
            server.terminate()
            server.wait(timeout=10)
    result = {"setup": setup, "machine": machine(), **result}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chart_page.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k not in ("runs", "machine")}, indent=2))
    return result


if __name__ == "__main__":
    main()
