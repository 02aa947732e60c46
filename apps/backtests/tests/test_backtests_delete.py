"""DELETE of a run or a sweep: owner only (another user's is a 404, as a missing id's), its
trades or results go with it, and a queued or running job is cancelled first so that its
worker stores nothing afterwards."""

import pytest

from apps.backtests.models import BacktestRun, BacktestTradeTable, Sweep, SweepResult
from apps.backtests.services import _run_body, _sweep_chunk, backtest_execute
from apps.backtests.tests.factories import BacktestRunFactory, SweepFactory
from apps.core.jobs import JobCancelled, JobContext, job_claim
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_owner_deletes_a_run_with_its_trades_and_nobody_else_can(
    user_client, other_user, client_for, btc_candles
):
    keep = user_client.post("/api/backtests/", {"strategy_json": SHAPE_A}, format="json").json()
    gone = user_client.post("/api/backtests/", {"strategy_json": SHAPE_A}, format="json").json()
    assert BacktestTradeTable.objects.get(run_id=gone["id"]).count > 0
    other = client_for(other_user)
    missing = other.delete("/api/backtests/999999/")
    stolen = other.delete(gone["url"])
    assert stolen.status_code == missing.status_code == 404
    assert stolen.content == missing.content
    assert BacktestRun.objects.filter(pk=gone["id"]).exists()

    r = user_client.delete(gone["url"])
    assert r.status_code == 204 and r.content == b""
    assert not BacktestRun.objects.filter(pk=gone["id"]).exists()
    assert not BacktestTradeTable.objects.filter(run_id=gone["id"]).exists()
    assert user_client.get(gone["url"]).status_code == 404
    assert user_client.delete(gone["url"]).status_code == 404
    # The other run and its trades are untouched.
    assert user_client.get(f"{keep['url']}trades/").json()["count"] > 0
    assert [row["id"] for row in user_client.get("/api/backtests/").json()["results"]] == [
        keep["id"]
    ]


def test_the_owner_deletes_a_sweep_with_its_results_and_nobody_else_can(
    user_client, other_user, client_for, btc_candles
):
    body = {"strategy_json": SHAPE_A, "grid": {"indicators.rsi.period": [7, 14]}}
    sweep = user_client.post("/api/backtests/sweeps/", body, format="json").json()
    assert SweepResult.objects.filter(sweep_id=sweep["id"]).count() == 2
    other = client_for(other_user)
    missing = other.delete("/api/backtests/sweeps/999999/")
    stolen = other.delete(sweep["url"])
    assert stolen.status_code == missing.status_code == 404
    assert stolen.content == missing.content
    assert SweepResult.objects.filter(sweep_id=sweep["id"]).count() == 2

    assert user_client.delete(sweep["url"]).status_code == 204
    assert not Sweep.objects.filter(pk=sweep["id"]).exists()
    assert not SweepResult.objects.filter(sweep_id=sweep["id"]).exists()
    assert user_client.get(sweep["url"]).status_code == 404
    assert user_client.get("/api/backtests/sweeps/").json()["count"] == 0


def test_a_queued_run_is_cancelled_and_deleted_and_its_task_then_does_nothing(user, user_client):
    run = BacktestRunFactory(owner=user)
    assert run.status == "queued"
    assert user_client.delete(f"/api/backtests/{run.pk}/").status_code == 204
    assert not BacktestRun.objects.filter(pk=run.pk).exists()
    assert backtest_execute(run.pk) == "skipped"  # the task delivered after the delete


def test_a_running_run_deleted_under_its_worker_stores_no_trades(user, user_client, btc_candles):
    run = job_claim(BacktestRun, BacktestRunFactory(owner=user).pk)
    assert run.status == "running"
    assert user_client.delete(f"/api/backtests/{run.pk}/").status_code == 204
    # The worker, still holding its copy of the row, reports progress: the run is gone.
    with pytest.raises(JobCancelled):
        _run_body(run, JobContext(model=BacktestRun, pk=run.pk, attempt=run.attempts))
    assert not BacktestTradeTable.objects.exists() and not BacktestRun.objects.exists()


def test_a_running_sweep_deleted_under_its_chunk_stores_no_results(user, user_client, btc_candles):
    sweep = SweepFactory(owner=user, strategy_definition=SHAPE_A, combinations=2)
    sweep = job_claim(Sweep, sweep.pk)
    assert user_client.delete(f"/api/backtests/sweeps/{sweep.pk}/").status_code == 204
    # A chunk that was already computing writes its rows, finds its sweep no longer
    # running with its attempt, and rolls them back.
    assert _sweep_chunk(sweep, sweep.attempts, 0, 2, stored=0) == 0
    assert not SweepResult.objects.exists() and not Sweep.objects.exists()


def test_the_schema_documents_both_deletes(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for path in ("/api/backtests/{id}/", "/api/backtests/sweeps/{id}/"):
        responses = paths[path]["delete"]["responses"]
        assert {"204", "404"} <= set(responses) and "content" not in responses["204"], path
