"""Sweep chunks at engine speed: each distinct indicator computed once and the candles
loaded once per sweep in a process, yet every combination's metrics are exactly what the
engine gives for it alone; a re-run chunk stores nothing twice; a sweep cancelled in the
middle of a chunk stops at the next combination and stores nothing of it."""

from __future__ import annotations

import json

import pytest

from apps.backtests import services
from apps.backtests.models import Sweep, SweepResult
from apps.backtests.services import run_config, sweep_chunk_execute
from apps.core.jobs import JobStatus, job_cancel
from apps.marketdata.selectors import candles_frame
from engine.backtest.sweep import IndicatorCache, combo_metrics, grid_combinations
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db(transaction=True)

GRID = {"indicators.rsi.period": [7, 14, 21], "indicators.ema.period": [10, 20]}


def _sweep(client, grid=GRID) -> dict:
    r = client.post(
        "/api/backtests/sweeps/",
        {"strategy_json": SHAPE_A, "interval": "1h", "grid": grid, "stop_loss_pct": 3},
        format="json",
    )
    assert r.status_code == 202, r.json()
    return client.get(r.json()["url"]).json()


def test_every_combination_is_the_engines_result_alone(user_client, btc_candles, settings):
    body = _sweep(user_client)
    assert body["status"] == "succeeded" and body["completed"] == 6
    sweep = Sweep.objects.get(pk=body["id"])
    candles = candles_frame(symbol="BTCUSDT", interval="1h")
    by_combo = {r["combo"]: r for r in body["results"]}
    for k, combo in enumerate(grid_combinations(sweep.grid)):  # PostgreSQL's order of keys
        metrics, error = combo_metrics(SHAPE_A, combo, candles, run_config(sweep), "1h")
        assert error == "" and by_combo[k]["params"] == combo
        assert by_combo[k]["metrics"] == json.loads(json.dumps(metrics))
    assert len({json.dumps(r["metrics"], sort_keys=True) for r in body["results"]}) == 6


def test_chunks_of_one_sweep_share_candles_and_store_each_combination_once(
    user_client, btc_candles, settings
):
    """Fanned out as on the full stack: three chunks of two, run one after another here."""
    settings.SWEEP_CHUNK_SIZE = 2
    sweep = Sweep.objects.get(pk=_sweep(user_client)["id"])
    assert services._SWEEP_CANDLES == {}  # dropped once the sweep finished
    Sweep.objects.filter(pk=sweep.pk).update(status=JobStatus.RUNNING)
    SweepResult.objects.filter(sweep=sweep, combo__gte=2).delete()
    assert sweep_chunk_execute(sweep.pk, sweep.attempts, 2, 4) == 2
    assert len(services._SWEEP_CANDLES) == 1  # kept for the sweep's next chunk here
    assert sweep_chunk_execute(sweep.pk, sweep.attempts, 4, 6) == 2
    sweep.refresh_from_db()
    assert sweep.status == JobStatus.SUCCEEDED and sweep.completed == 6
    assert sorted(SweepResult.objects.filter(sweep=sweep).values_list("combo", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_shared_indicator_cache_never_changes_a_result(btc_candles):
    candles = candles_frame(symbol="BTCUSDT", interval="1h")
    cache = IndicatorCache(size=2)  # smaller than the grid's indicators: entries are evicted
    config = run_config(Sweep(symbol="BTCUSDT", interval="1h"))
    for combo in grid_combinations(GRID) * 2:
        alone = combo_metrics(SHAPE_A, combo, candles, config, "1h")
        shared = combo_metrics(SHAPE_A, combo, candles, config, "1h", indicator_cache=cache)
        assert shared == alone
        assert len(cache) <= 2


def test_a_rerun_chunk_stores_no_row_twice(user_client, btc_candles):
    body = _sweep(user_client)
    sweep = Sweep.objects.get(pk=body["id"])
    before = list(SweepResult.objects.filter(sweep=sweep).order_by("combo").values())
    # Redelivered after the sweep was reaped back to running with the same attempt.
    Sweep.objects.filter(pk=sweep.pk).update(status=JobStatus.RUNNING)
    assert sweep_chunk_execute(sweep.pk, sweep.attempts, 0, 6) == 6
    assert list(SweepResult.objects.filter(sweep=sweep).order_by("combo").values()) == before


def test_a_sweep_cancelled_mid_chunk_stops_at_the_next_combination(
    user_client, btc_candles, monkeypatch
):
    body = _sweep(user_client)
    sweep = Sweep.objects.get(pk=body["id"])
    SweepResult.objects.filter(sweep=sweep).delete()
    Sweep.objects.filter(pk=sweep.pk).update(status=JobStatus.RUNNING, completed=0)
    monkeypatch.setattr(services, "SWEEP_CANCEL_CHECK_SECONDS", 0)
    real, asked = services.sweep_metrics, []

    def cancelled_after_two(*args, stop, **kwargs):
        def watching(done: int) -> bool:
            asked.append(done)
            if len(asked) == 3:
                job_cancel(sweep)  # the owner cancels while the chunk runs
            return stop(done)

        return real(*args, stop=watching, **kwargs)

    monkeypatch.setattr(services, "sweep_metrics", cancelled_after_two)
    assert sweep_chunk_execute(sweep.pk, sweep.attempts, 0, 6) == 0
    assert asked == [0, 1, 2]  # two combinations ran; the third saw the cancellation
    assert not SweepResult.objects.filter(sweep=sweep).exists()
    assert Sweep.objects.get(pk=sweep.pk).status == JobStatus.CANCELLED


def test_stored_rows_read_back_as_the_orm_wrote_them(user_client, btc_candles):
    """A chunk's one-statement write (raw SQL per database) stores what the model reads:
    JSON params and metrics, None as NULL, the error text; a combination already stored
    is kept as it was."""
    sweep = Sweep.objects.get(pk=_sweep(user_client)["id"])
    rows = [
        {"combo": 100, "params": {"a.b": 3, "c": [1.5, "x"]}, "metrics": None, "error": "why"},
        {"combo": 101, "params": {"a.b": 4}, "metrics": {"sharpe": None, "n": 2}, "error": ""},
    ]
    services._sweep_results_insert(sweep.pk, rows)
    services._sweep_results_insert(sweep.pk, [{**rows[0], "error": "again", "metrics": {}}])
    stored = {
        r.combo: r
        for r in SweepResult.objects.filter(sweep=sweep, combo__gte=100).order_by("combo")
    }
    assert stored[100].params == {"a.b": 3, "c": [1.5, "x"]}
    assert stored[100].metrics is None and stored[100].error == "why"
    assert SweepResult.objects.filter(sweep=sweep, metrics__isnull=True).count() == 1
    assert stored[101].metrics == {"sharpe": None, "n": 2} and stored[101].error == ""
    assert SweepResult.objects.filter(sweep=sweep, params__c__1="x").count() == 1
