"""Shared helpers for benchmarks: generated candles, timing, writing results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def random_walk_candles(
    n: int,
    *,
    interval_ms: int = 60_000,
    seed: int = 7,
    start_ms: int = 1_600_000_000_000 // 60_000 * 60_000,
) -> pd.DataFrame:
    """n candles of a geometric random walk, valid OHLCV (high >= max(o, c), low <= min(o, c))."""
    rng = np.random.default_rng(seed)
    rets = rng.normal(0, 0.001, n)
    close = 100.0 * np.exp(np.cumsum(rets))
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1] * np.exp(rng.normal(0, 0.0002, n - 1))
    spread = np.abs(rng.normal(0, 0.0008, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread * rng.uniform(0.2, 1.0, n)
    volume = rng.gamma(2.0, 50.0, n)
    index = pd.DatetimeIndex(
        pd.to_datetime(start_ms + np.arange(n, dtype="int64") * interval_ms, unit="ms", utc=True),
        name="open_time",
    )
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def to_binance_csv(frame: pd.DataFrame, interval_ms: int = 60_000) -> bytes:
    ms = frame.index.as_unit("ms").asi8
    out = pd.DataFrame(
        {
            "t": ms,
            "o": frame["open"].round(8),
            "h": frame["high"].round(8),
            "l": frame["low"].round(8),
            "c": frame["close"].round(8),
            "v": frame["volume"].round(8),
            "ct": ms + interval_ms - 1,
            "q": 0,
            "n": 0,
            "tb": 0,
            "tq": 0,
            "i": 0,
        }
    )
    return out.to_csv(header=False, index=False, float_format="%.8f").encode()


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Median wall time over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_results(name: str, data: dict, markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown.rstrip() + "\n")


def ensure_pg_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if it is missing; False if unreachable."""
    try:
        import psycopg
    except ImportError:
        return False
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.OperationalError:
        return False


def database_targets(tmp: str, pg_url: str) -> list[tuple[str, str]]:
    """A fresh SQLite file under `tmp`, and PostgreSQL at `pg_url` when it is reachable."""
    targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
    if ensure_pg_database(pg_url):
        targets.append(("postgresql", pg_url))
    else:
        print("PostgreSQL not reachable: skipping it", file=sys.stderr)
    return targets


def django_child(module: str, args: list[str], *, name: str, url: str, tmp: str, **env) -> dict:
    """Run `python -m module --child args` with Django on the database at `url` (Django is
    configured once per process) and the embedded default's in-process jobs; its last
    stdout line is the JSON it returns."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        cwd=RESULTS.parents[1],
        env={
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "WARNING",
            "LOG_FILE": f"{tmp}/bench.log",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{name} benchmark failed:\n{out.stderr[-3000:]}")
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])
