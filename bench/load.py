"""Load figures for the full stack: gunicorn (2 workers) on PostgreSQL and Redis.

1. wrk on loopback against three endpoints as the demo user (token auth): the agents'
   predictions (each agent evaluated live), a backtest's status (what a result page polls)
   and a window of candles; p50/p90/p99 latency, requests/s and non-2xx counts.
2. N backtests (default 200) submitted at once through the API to two Celery worker
   processes: all must finish (none lost, none stored twice); the time from the first POST
   to the last run finished.

    python -m bench.load [--duration 15] [--connections 8] [--backtests 200]

Needs wrk (Debian: `apt-get install wrk`), PostgreSQL and Redis on 127.0.0.1 (the
database named by --pg is dropped and recreated). CI runs a shortened version
(tests/test_services_load.py); `make bench` the full one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from bench.common import ensure_pg_database, machine, write_results

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get(
    "BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tradingsite_load"
)
REDIS = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379")
# Redis database numbers for the broker, the result backend and the cache.
REDIS_DBS = os.environ.get("BENCH_LOAD_REDIS_DBS", "5,6,7").split(",")
FINISHED = {"succeeded", "failed", "cancelled"}


class Stack:
    """The database reset and loaded with the demo, then gunicorn and Celery workers."""

    def __init__(self, tmp: str, pg: str, redis: str):
        self.tmp = tmp
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local",
            "DEBUG": "false",
            "DATABASE_URL": pg,
            "CELERY_BROKER_URL": f"{redis}/{REDIS_DBS[0]}",
            "CELERY_RESULT_BACKEND": f"{redis}/{REDIS_DBS[1]}",
            "CACHE_URL": f"{redis}/{REDIS_DBS[2]}",
            "MEDIA_ROOT": f"{tmp}/media",
            "LOG_FILE": f"{tmp}/app.log",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(ROOT),
        }
        self.procs: list[subprocess.Popen] = []
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, eager: bool = False) -> None:
        env = {**self.env, "CELERY_BROKER_URL": ""} if eager else self.env
        out = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if out.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(Path(self.tmp) / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start_web(self) -> None:
        self._spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tradingsite.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
        )
        _wait_until(lambda: _get(f"{self.base}/api/health/")[0] == 200, 60, "gunicorn")

    def start_workers(self, n: int = 2) -> None:
        subprocess.run(
            [sys.executable, "-m", "celery", "-A", "tradingsite", "purge", "-f"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            check=False,
        )
        for i in range(n):
            self._spawn(
                f"worker{i}",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tradingsite",
                    "worker",
                    "-c",
                    "1",
                    "-n",
                    f"load{i}-{os.getpid()}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
            )
        time.sleep(1)
        probe = (
            "from tradingsite.celery import app; import sys; "
            f"sys.exit(0 if len(app.control.ping(timeout=1)) >= {n} else 1)"
        )
        _wait_until(
            lambda: (
                subprocess.run(
                    [sys.executable, "-c", probe], cwd=ROOT, env=self.env, capture_output=True
                ).returncode
                == 0
            ),
            90,
            "celery workers",
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{what} did not come up in {timeout:.0f}s")


def _request(url: str, *, token: str | None = None, body: dict | None = None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _get(url: str, token: str | None = None):
    return _request(url, token=token)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * _UNITS[unit], 3)


def parse_wrk(output: str) -> dict:
    """p50/p90/p99 (ms), requests/s, total requests and non-2xx/3xx from `wrk --latency`."""
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$", output, re.M))
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+)", output, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "p50_ms": _ms(pct["50"]),
        "p90_ms": _ms(pct["90"]),
        "p99_ms": _ms(pct["99"]),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(total.group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def _wrk_argv(url: str, token: str | None, duration: int, connections: int, threads: int):
    auth = ["-H", f"Authorization: Token {token}"] if token else []
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "30s",
        *auth,
        url,
    ]


def wrk(url: str, token: str | None, *, duration: int, connections: int, threads: int = 2) -> dict:
    out = subprocess.run(
        _wrk_argv(url, token, duration, connections, threads),
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(out.stdout)


def health_under_load(base: str, token: str, *, duration: int, clients: int = 4) -> dict:
    """The API's p50 alone, then while `clients` anonymous connections loop on each health
    endpoint (finding: four clients looping on the old health check took /api/strategies/
    from p50 19 ms to 2,028 ms). One connection measures the API so the figure is latency,
    not the API's own queueing."""
    api = f"{base}/api/strategies/"
    idle = wrk(api, token, duration=duration, connections=1, threads=1)
    result = {"api_path": "/api/strategies/", "clients": clients, "idle": idle, "under": {}}
    for name, path in (("liveness", "/api/health/"), ("readiness", "/api/health/ready/")):
        loop = subprocess.Popen(
            _wrk_argv(f"{base}{path}", None, duration + 2, clients, 2),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        time.sleep(1)
        loaded = wrk(api, token, duration=duration, connections=1, threads=1)
        looped = parse_wrk(loop.communicate(timeout=duration + 60)[0])
        result["under"][name] = {
            "path": path,
            "api": loaded,
            "health": looped,
            "p50_ratio": round(loaded["p50_ms"] / idle["p50_ms"], 2),
        }
        print(f"{clients} clients looping on {path}: {result['under'][name]}", flush=True)
    return result


def submit_backtests(base: str, token: str, n: int, strategy_id: int) -> dict:
    """POST n backtests at once, then poll until every one has finished."""
    body = {"strategy": str(strategy_id), "fee_rate": 0.001, "slippage_bps": 5}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(
            pool.map(
                lambda _i: _request(f"{base}/api/backtests/", token=token, body=body), range(n)
            )
        )
    submit_s = time.perf_counter() - t0
    refused = [a for a in answers if a[0] != 202]
    ids = [a[1]["id"] for a in answers if a[0] == 202]
    pending, finished = set(ids), {}
    deadline = time.monotonic() + max(600, n * 10)
    while pending and time.monotonic() < deadline:
        for pk in list(pending):
            code, run = _get(f"{base}/api/backtests/{pk}/", token)
            if code == 200 and run["status"] in FINISHED:
                finished[pk] = run
                pending.discard(pk)
        if pending:
            time.sleep(0.5)
    total_s = time.perf_counter() - t0
    statuses: dict[str, int] = {}
    for run in finished.values():
        statuses[run["status"]] = statuses.get(run["status"], 0) + 1
    return {
        "submitted": n,
        "accepted": len(ids),
        "refused": len(refused),
        "distinct_ids": len(set(ids)),
        "finished": len(finished),
        "lost": len(pending),
        "statuses": statuses,
        "with_metrics": sum(1 for r in finished.values() if r.get("metrics")),
        "submit_seconds": round(submit_s, 2),
        "total_seconds": round(total_s, 2),
        "backtests_per_s": round(len(finished) / total_s, 2),
    }


def _reset_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(
    *, duration: int, connections: int, backtests: int, pg: str = PG, redis: str = REDIS
) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    if not ensure_pg_database(pg):
        raise SystemExit(f"PostgreSQL not reachable at {pg}")
    _reset_database(pg)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        s = Stack(tmp, pg, redis)
        stack.callback(s.stop)
        t0 = time.perf_counter()
        s.manage("migrate", "--noinput")
        s.manage("load_demo", eager=True)
        setup_s = time.perf_counter() - t0
        s.start_web()
        code, answer = _request(
            f"{s.base}/api/auth/token/",
            body={
                "username": "demo",
                "password": os.environ.get("DEMO_PASSWORD", "demo-pass-2024"),
            },
        )
        assert code == 200, answer
        token = answer["token"]
        run_id = _get(f"{s.base}/api/backtests/", token)[1]["results"][0]["id"]
        strategy = _get(f"{s.base}/api/strategies/", token)[1]["results"][0]
        endpoints = {
            "agent predictions": "/api/agents/predictions/",
            "backtest status": f"/api/backtests/{run_id}/",
            "candles (500 x 1h)": "/api/market-data/candles/?symbol=BTCUSDT&interval=1h"
            "&start=2021-05-01T00:00:00Z&end=2021-05-21T19:00:00Z",
        }
        http = {}
        for name, path in endpoints.items():
            code, _ = _get(f"{s.base}{path}", token)
            assert code == 200, (name, code)
            http[name] = {
                "path": path,
                **wrk(f"{s.base}{path}", token, duration=duration, connections=connections),
            }
            print(f"{name}: {http[name]}", flush=True)
        health = health_under_load(s.base, token, duration=duration)
        s.start_workers(2)
        jobs = submit_backtests(s.base, token, backtests, strategy["id"])
        jobs["strategy"] = f"{strategy['name']} ({strategy['symbol']} {strategy['timeframe']})"
        print(f"{backtests} backtests: {jobs}", flush=True)
    return {
        "benchmark": "load",
        "machine": machine(),
        "setup": {
            "web": "gunicorn, 2 sync workers, DEBUG off",
            "database": "PostgreSQL (127.0.0.1)",
            "broker_and_cache": "Redis (127.0.0.1)",
            "load_generator": f"wrk -t2 -c{connections} -d{duration}s on loopback, same machine",
            "workers": "2 celery worker processes, concurrency 1 each",
            "demo_load_seconds": round(setup_s, 1),
        },
        "http": http,
        "health_under_load": health,
        "backtests": jobs,
    }


def markdown(data: dict) -> str:
    m, st = data["machine"], data["setup"]
    lines = [
        "# Load: the full stack under concurrent requests",
        "",
        f"Measured {m['when']} on {m['cpus']} CPUs: {st['web']} on {st['database']}, "
        f"{st['broker_and_cache']}; {st['load_generator']} (it shares the CPUs with the server).",
        "Requests are authenticated as the demo user (token).",
        "",
        "| endpoint | p50 ms | p90 ms | p99 ms | requests/s | requests | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in data["http"].items():
        lines.append(
            f"| {name} `{r['path'].split('?')[0]}` | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} "
            f"| {r['requests_per_s']} | {r['requests']} | {r['non_2xx']} |"
        )
    h = data["health_under_load"]
    lines += [
        "",
        f"## {h['clients']} anonymous clients looping on the health endpoints",
        "",
        f"`{h['api_path']}` measured by one connection alone, then while {h['clients']} "
        "connections loop on each health endpoint (throttled per address: most answers are "
        "429s, which is the point: they must stay cheap).",
        "",
        "| while looping on | API p50 ms | API p90 ms | ratio to idle p50 | health requests "
        "| health non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| nothing (idle) | {h['idle']['p50_ms']} | {h['idle']['p90_ms']} | 1.0 | | |",
    ]
    for u in h["under"].values():
        lines.append(
            f"| `{u['path']}` | {u['api']['p50_ms']} | {u['api']['p90_ms']} | {u['p50_ratio']} "
            f"| {u['health']['requests']} | {u['health']['non_2xx']} |"
        )
    b = data["backtests"]
    lines += [
        "",
        f"## {b['submitted']} backtests submitted at once ({st['workers']})",
        "",
        f"Accepted {b['accepted']} (202), refused {b['refused']}, distinct ids {b['distinct_ids']}; "
        f"finished {b['finished']} ({', '.join(f'{k} {v}' for k, v in b['statuses'].items())}), "
        f"lost {b['lost']}; with metrics {b['with_metrics']}.",
        f"Submitting took {b['submit_seconds']} s; first POST to last finish {b['total_seconds']} s "
        f"({b['backtests_per_s']} backtests/s; each one the demo strategy {b['strategy']} over all "
        "its stored candles, fee 0.1%, slippage 5 bps).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backtests", type=int, default=200)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args(argv)
    data = run(
        duration=args.duration,
        connections=args.connections,
        backtests=args.backtests,
        pg=args.pg,
        redis=args.redis,
    )
    write_results("load", data, markdown(data))
    return data


if __name__ == "__main__":
    main()
