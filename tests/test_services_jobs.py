"""Jobs with the real stack: submit through the API, a real worker process runs them; a
worker SIGKILLed mid-run leaves the run finished exactly once or failed, never stuck."""

import time

import pytest
from django.test import override_settings

from apps.backtests.models import BacktestRun
from apps.backtests.selectors import backtest_trades
from apps.ml.models import TrainedModel
from apps.strategies.tests.factories import SHAPE_A

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait(client, url, until, timeout=180):
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if until(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting on {url}: {body}")


def test_backtest_through_the_api_and_a_real_worker(celery_worker, user_client, btc_candles):
    r = user_client.post("/api/backtests/", {"strategy_json": SHAPE_A}, format="json")
    assert r.status_code == 202
    # The answer is the row as it stands after the commit: a free worker may already have
    # claimed it.
    assert r.json()["status"] in ("queued", "running")
    run = _wait(user_client, r.json()["url"], lambda b: b["status"] not in ("queued", "running"))
    assert run["status"] == "succeeded", run
    trades = backtest_trades(run=BacktestRun.objects.get(pk=run["id"]))
    assert len(trades) == run["metrics"]["num_trades"] > 10


def test_sweep_fans_out_over_the_worker(celery_worker, user_client, btc_candles):
    r = user_client.post(
        "/api/backtests/sweeps/",
        {
            "strategy_json": SHAPE_A,
            "grid": {
                "indicators.rsi.period": [7, 10, 14, 21],
                "indicators.ema.period": [10, 20, 50],
            },
        },
        format="json",
    )
    assert r.status_code == 202, r.json()
    sweep = _wait(user_client, r.json()["url"], lambda b: b["status"] not in ("queued", "running"))
    assert (
        sweep["status"] == "succeeded" and sweep["completed"] == 12 and len(sweep["results"]) == 12
    )


@override_settings(JOB_STALE_SECONDS=6)
def test_a_killed_worker_leaves_no_run_stuck(celery_worker, user_client, user):
    from pathlib import Path

    from apps.marketdata.services import candles_import

    big = (
        Path(__file__).resolve().parents[1] / "data" / "demo" / "BTCUSDT-1h-2020-10_2025-10.csv.gz"
    )
    assert candles_import(source=big, symbol="BTCUSDT", interval="1h").status == "succeeded"
    # A long job: a 43,780-candle forest of 400 trees takes tens of seconds here.
    r = user_client.post(
        "/api/ml/models/",
        {"symbol": "BTCUSDT", "interval": "1h", "params": {"n_estimators": 400}},
        format="json",
    )
    url = r.json()["url"]
    _wait(user_client, url, lambda b: b["status"] == "running" and b["progress"] > 0, timeout=120)
    celery_worker.kill()
    assert TrainedModel.objects.get(pk=r.json()["id"]).status == "running"
    celery_worker.start()
    # Polling the status reaps the stale run (heartbeat older than 6 s) and requeues it once.
    done = _wait(user_client, url, lambda b: b["status"] not in ("queued", "running"), timeout=400)
    model = TrainedModel.objects.get(pk=r.json()["id"])
    assert done["status"] in ("succeeded", "failed")
    if done["status"] == "succeeded":
        assert model.attempts == 2 and model.sha256
    else:
        assert "worker" in model.error
    assert TrainedModel.objects.count() == 1
