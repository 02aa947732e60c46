"""Candle import and load: 1M generated 1-minute candles into SQLite and PostgreSQL,
then back into a DataFrame with `candles_frame`. Reports rows/s.

Each database runs in its own subprocess (Django is configured once per process):
    python -m bench.marketdata_io [--rows 1000000] [--pg postgres://postgres@127.0.0.1:5432/tradingsite_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile


def _run_one(rows: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.marketdata.models import Candle
    from apps.marketdata.selectors import candles_frame
    from apps.marketdata.services import candles_import
    from bench.common import random_walk_candles, timed, to_binance_csv

    call_command("migrate", verbosity=0)
    Candle.objects.filter(symbol__name__startswith="BENCH").delete()
    frame = random_walk_candles(rows)
    csv = to_binance_csv(frame)

    import time

    t0 = time.perf_counter()
    record = candles_import(source=csv, symbol="BENCHUSDT", interval="1m", filename="bench.csv")
    import_s = time.perf_counter() - t0
    assert record.status == "succeeded" and record.rows_inserted == rows, record.error

    t0 = time.perf_counter()
    again = candles_import(source=csv, symbol="BENCHUSDT", interval="1m", filename="bench.csv")
    reimport_s = time.perf_counter() - t0
    assert again.rows_inserted == 0

    load_s, loaded = timed(lambda: candles_frame(symbol="BENCHUSDT", interval="1m"), repeat=3)
    assert len(loaded) == rows
    Candle.objects.filter(symbol__name="BENCHUSDT").delete()
    return {
        "database": connection.vendor,
        "rows": rows,
        "csv_bytes": len(csv),
        "import_seconds": round(import_s, 3),
        "import_rows_per_s": round(rows / import_s),
        "reimport_seconds": round(reimport_s, 3),
        "reimport_rows_per_s": round(rows / reimport_s),
        "load_seconds_median": round(load_s, 3),
        "load_rows_per_s": round(rows / load_s),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tradingsite_bench"
        ),
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_run_one(args.rows)))
        return {}

    from bench.common import database_targets, django_child, machine, write_results

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in database_targets(tmp, args.pg):
            rows = ["--rows", str(args.rows)]
            results.append(django_child("bench.marketdata_io", rows, name=name, url=url, tmp=tmp))
            print(f"{name}: {results[-1]}")

    data = {"benchmark": "marketdata_io", "machine": machine(), "results": results}
    lines = [
        "# Candle import and load",
        "",
        f"{args.rows:,} generated 1-minute candles (Binance kline CSV, {results[0]['csv_bytes']:,} bytes), "
        f"measured {data['machine']['when']} on {data['machine']['cpus']} CPUs.",
        "Import = parse + validate + bulk insert; re-import = the same file again (0 new rows);",
        "load = `candles_frame` of all rows into a float64 DataFrame (median of 3).",
        "",
        "| database | import s | import rows/s | re-import s | load s | load rows/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['import_seconds']} | {r['import_rows_per_s']:,} | {r['reimport_seconds']} "
            f"| {r['load_seconds_median']} | {r['load_rows_per_s']:,} |"
        )
    write_results("marketdata_io", data, "\n".join(lines))
    return data


if __name__ == "__main__":
    main()
