"""A shortened run of bench/load.py in CI: gunicorn with two workers on PostgreSQL and Redis
under wrk, then backtests submitted at once to two Celery workers. It checks correctness
(every request answered 2xx, every backtest finished exactly once), never timings; the full
run with the recorded figures is `make bench` (bench/results/load.md)."""

import pytest

from bench.load import parse_wrk, run

WRK_SAMPLE = """Running 2s test @ http://127.0.0.1:8000/api/agents/predictions/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    25.10ms    3.20ms  60.00ms   90.00%
    Req/Sec    80.00     10.00   100.00     70.00%
  Latency Distribution
     50%  740.00us
     75%   26.00ms
     90%   28.50ms
     99%    1.20s
  318 requests in 2.00s, 1.20MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    158.90
Transfer/sec:    600.00KB
"""


def test_wrk_output_is_parsed_with_units():
    r = parse_wrk(WRK_SAMPLE)
    assert (r["p50_ms"], r["p90_ms"], r["p99_ms"]) == (0.74, 28.5, 1200.0)
    assert (r["requests"], r["requests_per_s"], r["non_2xx"], r["socket_errors"]) == (
        318,
        158.9,
        4,
        3,
    )


@pytest.mark.services
def test_the_stack_answers_under_load_and_loses_no_backtest():
    data = run(
        duration=2,
        connections=4,
        backtests=20,
        pg="postgres://postgres@127.0.0.1:5432/tradingsite_load_ci",
    )
    for name, r in data["http"].items():
        assert r["requests"] > 0 and r["non_2xx"] == 0 and r["socket_errors"] == 0, (name, r)
    for name, u in data["health_under_load"]["under"].items():
        assert u["health"]["requests"] > 0 and u["api"]["non_2xx"] == 0, (name, u)
    b = data["backtests"]
    assert b["accepted"] == b["distinct_ids"] == b["finished"] == 20, b
    assert b["lost"] == 0 and b["statuses"] == {"succeeded": 20} and b["with_metrics"] == 20
