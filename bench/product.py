"""The product path: `POST /api/backtests/` -> poll -> the run finished with its trades
readable, beside the engine alone on the same series and strategy, for 10k / 100k / 1M
generated 1-minute candles, on SQLite and on PostgreSQL.

What a user waits for is measured through the public API only (DRF's in-process client:
routing, authentication, serializers, the service, the job runner; no socket), so the
figure follows whatever trade storage or candle cache the product uses:
1. `POST /api/backtests/` with an inline Shape A strategy (RSI(14)+EMA(20)), the form's
   defaults (10,000 starting balance, 0.1% fee, next-open fills);
2. `GET /api/backtests/<id>/` every 5 ms until the run has finished;
3. `GET /api/backtests/<id>/trades/`: the first page, whose `count` must be the engine's
   number of trades.
Jobs run the embedded default's way, in-process (`JOBS_EAGER_MODE=thread`: the POST
answers at once and a thread of the web process runs the job), on both databases.

Beside it, on the same series: "engine" = `run_backtest` on the frame already in memory;
"load + engine" = `candles_frame` then `run_backtest` (what any path has to do at least).
The first POST of a process (numba compilation included) is reported apart as "cold".

Each database runs in its own subprocess (Django is configured once per process):
    python -m bench.product [--sizes 10000,100000,1000000] [--repeat 3]
        [--pg postgres://postgres@127.0.0.1:5432/ts_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime

POLL_SECONDS = 0.005
FINISHED = {"succeeded", "failed", "cancelled"}
SLOW_SECONDS = 5.0  # a size whose first run takes longer is run once
STAMPS = ("created_at", "started_at", "finished_at")
PARTS = ("post", "wait", "job", "compute", "seen", "read")


def _symbol(n: int) -> str:
    return f"BENCHP{n}USDT"


def _child(sizes: list[int], repeat: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from apps.backtests.models import BacktestRun
    from apps.marketdata.models import Candle
    from apps.marketdata.selectors import candles_frame
    from apps.marketdata.services import candles_import
    from bench.common import random_walk_candles, to_binance_csv
    from bench.engine_vs_peers import SHAPE_A
    from engine.backtest import BacktestConfig, run_backtest
    from engine.strategy import parse_strategy

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-product")
    BacktestRun.objects.filter(owner=user).delete()
    client = APIClient()
    client.force_authenticate(user)

    for n in sizes:
        Candle.objects.filter(symbol__name=_symbol(n)).delete()
        record = candles_import(
            source=to_binance_csv(random_walk_candles(n, seed=11)),
            symbol=_symbol(n),
            interval="1m",
            filename="bench.csv",
        )
        assert record.status == "succeeded" and record.rows_inserted == n, record.error

    def product(n: int) -> tuple[float, dict]:
        body = {"strategy_json": {**SHAPE_A, "symbol": _symbol(n)}, "interval": "1m"}
        t0 = time.perf_counter()
        posted = client.post("/api/backtests/", body, format="json")
        post_s = time.perf_counter() - t0
        assert posted.status_code == 202, posted.content[:500]
        url = posted.json()["url"]
        while True:
            run = client.get(url).json()
            if run["status"] in FINISHED:
                break
            time.sleep(POLL_SECONDS)
        assert run["status"] == "succeeded", run.get("error")
        seen = time.perf_counter()
        trades = client.get(f"{url}trades/")
        assert trades.status_code == 200, trades.content[:500]
        seconds = time.perf_counter() - t0
        stamp = {k: datetime.fromisoformat(run[k].replace("Z", "+00:00")) for k in STAMPS}
        return seconds, {
            "trades_count": trades.json()["count"],
            "post": post_s,
            "seen": seen - t0,
            "read": time.perf_counter() - seen,
            "wait": (stamp["started_at"] - stamp["created_at"]).total_seconds(),
            "job": (stamp["finished_at"] - stamp["started_at"]).total_seconds(),
            "compute": run["compute_ms"] / 1000,
        }

    strategy = parse_strategy({**SHAPE_A, "symbol": "BENCH"})
    config = BacktestConfig()

    def engine_only(frame) -> tuple[float, int]:
        t0 = time.perf_counter()
        result = run_backtest(frame, strategy, config, interval="1m")
        return time.perf_counter() - t0, len(result.columns)

    def load_and_engine(n: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        frame = candles_frame(symbol=_symbol(n), interval="1m")
        loaded = time.perf_counter() - t0
        engine_only(frame)
        return loaded, time.perf_counter() - t0

    cold_s, _ = product(sizes[0])  # the process's first request: numba compilation included
    rows = []
    for n in sizes:
        frame = candles_frame(symbol=_symbol(n), interval="1m")
        times = {k: [] for k in ("product", "engine", "load", "load_engine", *PARTS)}
        runs = repeat
        r = 0
        while r < runs:
            # Interleaved: the product path, then the engine-only paths, in one round.
            s, info = product(n)
            times["product"].append(s)
            for k in PARTS:
                times[k].append(info[k])
            e, trades = engine_only(frame)
            times["engine"].append(e)
            loaded, both = load_and_engine(n)
            times["load"].append(loaded)
            times["load_engine"].append(both)
            assert info["trades_count"] == trades, (info["trades_count"], trades)
            if r == 0 and s > SLOW_SECONDS:
                runs = 1
            r += 1
            print(
                f"  {connection.vendor} {n:,}: product {s:.3f}s, engine {e:.4f}s, "
                f"load {loaded:.3f}s",
                file=sys.stderr,
            )
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "candles": n,
                "trades": trades,
                "runs": runs,
                "product_seconds": round(med["product"], 4),
                "engine_seconds": round(med["engine"], 5),
                "load_seconds": round(med["load"], 4),
                "load_engine_seconds": round(med["load_engine"], 4),
                "overhead_seconds": round(med["product"] - med["engine"], 4),
                "product_over_engine": round(med["product"] / med["engine"], 1),
                "product_seconds_all": [round(x, 4) for x in times["product"]],
                # Where the time goes: the POST's answer, the run's queue wait and its job
                # (created/started/finished stamps) and the engine time the run records.
                **{f"{k}_seconds": round(med[k], 4) for k in PARTS},
            }
        )
    BacktestRun.objects.filter(owner=user).delete()
    for n in sizes:
        Candle.objects.filter(symbol__name=_symbol(n)).delete()
    return {
        "database": connection.vendor,
        "jobs": "in-process (embedded runner, JOBS_EAGER_MODE=thread)",
        "cold_first_request_seconds": round(cold_s, 3),
        "cold_first_request_candles": sizes[0],
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "BENCH_PRODUCT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ts_bench"
        ),
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        print(json.dumps(_child(sizes, args.repeat)))
        return {}

    from bench.common import database_targets, django_child, machine, write_results

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = [
            django_child(
                "bench.product",
                ["--sizes", args.sizes, "--repeat", str(args.repeat)],
                name=name,
                url=url,
                tmp=tmp,
                JOBS_EAGER_MODE="thread",
                ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
                MEDIA_ROOT=f"{tmp}/media",
            )
            for name, url in database_targets(tmp, args.pg)
        ]

    data = {
        "benchmark": "product",
        "machine": machine(),
        "strategy": "Shape A RSI(14)+EMA(20), inline strategy_json, API defaults "
        "(initial_balance 10000, fee_rate 0.001, next_open)",
        "path": "POST /api/backtests/ -> GET /api/backtests/<id>/ every 5 ms until finished -> "
        "GET /api/backtests/<id>/trades/ (count checked against the engine's trades)",
        "results": results,
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    md = [
        "# The product path: request to a finished run with readable trades",
        "",
        f"{data['path']}; DRF's in-process client (no socket), jobs in-process (the embedded "
        "runner's thread) on both databases. Beside it on the same generated 1-minute "
        "series and strategy: the engine alone on the frame in memory, and the candle load "
        "(`candles_frame`). Medians of the interleaved rounds (one round where the first "
        f"took over {SLOW_SECONDS:.0f} s). {data['machine']['when']}, "
        f"{data['machine']['cpus']} CPUs, Python {data['machine']['python']}.",
        "",
        "| database | candles | trades | request to trades s | engine s | overhead s | "
        "x engine | candle load s | load + engine s | POST s | queued s | job s | "
        "run's engine s | seen finished s | trades page s | rounds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |",
    ]
    for res in results:
        for r in res["rows"]:
            md.append(
                f"| {res['database']} | {r['candles']:,} | {r['trades']:,} | "
                f"{r['product_seconds']} | {r['engine_seconds']} | {r['overhead_seconds']} | "
                f"{r['product_over_engine']}x | {r['load_seconds']} | "
                f"{r['load_engine_seconds']} | {r['post_seconds']} | {r['wait_seconds']} | "
                f"{r['job_seconds']} | {r['compute_seconds']} | {r['seen_seconds']} | "
                f"{r['read_seconds']} | {r['runs']} |"
            )
    md += [
        "",
        "POST s: until the 202; queued s / job s: the run's own created -> started -> "
        "finished stamps; run's engine s: the engine time the run records (`compute_ms`); "
        "seen finished s: from the POST until a poll shows the run finished; trades page s: "
        "the first page of `trades/`. "
        "Overhead = request to trades - engine.",
        "",
    ]
    for res in results:
        md.append(
            f"- {res['database']}: the process's first request "
            f"({res['cold_first_request_candles']:,} candles, numba compilation included) "
            f"took {res['cold_first_request_seconds']} s."
        )
    md += ["", f"Benchmark wall time {data['total_seconds']} s (imports of the series included)."]
    write_results("product", data, "\n".join(md))
    print("\n".join(md))
    return data


if __name__ == "__main__":
    main()
