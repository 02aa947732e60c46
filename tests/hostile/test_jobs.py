"""No job left stuck (issue 12, finding 4; the embedded runner's bound from finding 8).

A send to a dead broker fails the row with the reason and answers 503; the reaper sends
queued rows again (never failing them for waiting); the embedded runner is a bounded pool
that reaps when the web process starts serving; every job kind can be cancelled by its
owner from the API and the page, and by nobody else.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

import apps.core.jobs as jobs
from apps.accounts.tests.factories import permit
from apps.backtests.models import BacktestRun, Sweep, SweepResult
from apps.backtests.tests.factories import BacktestRunFactory, SweepFactory
from apps.binance.models import KlineSync
from apps.core.jobs import JobStatus, job_claim, job_reap_stale, jobs_embedded_start
from apps.marketdata.models import CandleImport
from apps.ml.models import TrainedModel
from apps.ml.tests.factories import TrainedModelFactory
from apps.strategies.tests.factories import SHAPE_A as SHAPE
from apps.strategies.tests.factories import StrategyFactory
from tests.hostile.conftest import DEAD_BROKER_SECRET as SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(user):
    # Syncs write shared candles: the owner may import them (whatever that rule becomes).
    return permit(user, "import_candles")


@pytest.fixture
def owner_api(owner, client_for):
    return client_for(owner)


CREATE = {
    "backtest": ("/api/backtests/", {"strategy_json": SHAPE}, BacktestRun),
    "sweep": (
        "/api/backtests/sweeps/",
        {"strategy_json": SHAPE, "grid": {"indicators.rsi.period": [7, 14]}},
        Sweep,
    ),
    "training": ("/api/ml/models/", {"symbol": "BTCUSDT", "interval": "1h"}, TrainedModel),
    "sync": (
        "/api/binance/syncs/",
        {"symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z"},
        KlineSync,
    ),
}


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_dead_broker_answers_503_and_fails_the_job_with_the_reason(
    kind, owner_api, btc_candles, dead_broker
):
    url, body, model = CREATE[kind]
    owner_api.raise_request_exception = False
    r = owner_api.post(url, body, format="json")
    assert r.status_code == 503, r.content
    detail = r.json()["detail"]
    assert detail.startswith("could not reach the task broker: "), detail
    job = model.objects.get()
    assert job.status == JobStatus.FAILED and job.attempts == 0 and job.finished_at
    assert job.error == detail
    for text in (detail, job.error):
        assert SECRET not in text and "redis://" not in text and "127.0.0.1" not in text


def _page_start(kind: str, owner) -> tuple[str, dict, type]:
    if kind == "training":
        body = {"symbol": "BTCUSDT", "interval": "1h", "estimator": "random_forest"}
        return "/ml/", {**body, "seed": 42, "walk_forward_folds": 0}, TrainedModel
    if kind == "sync":
        body = {"action": "sync", "symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01"}
        return "/binance/", body, KlineSync
    strategy = StrategyFactory(owner=owner, name="rsi")
    form = {"strategy": strategy.pk, "initial_balance": 10000, "fee_rate": 0.001}
    form |= {"slippage_bps": 0, "fill": "next_open"}
    if kind == "backtest":
        return "/backtests/new/", form, BacktestRun
    grid = {"grid": '{"indicators.rsi.period": [7, 14]}', "metric": "total_return_pct"}
    return "/backtests/sweeps/new/", {**form, **grid, "walk_forward_windows": 0}, Sweep


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_dead_broker_on_a_page_shows_the_reason(kind, owner, btc_candles, dead_broker):
    url, body, model = _page_start(kind, owner)
    client = Client()
    client.force_login(owner)
    r = client.post(url, body, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert "The job was not started: could not reach the task broker" in page, page[-3000:]
    assert SECRET not in page
    assert model.objects.get().status == JobStatus.FAILED


def _capture_sends(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_send", lambda model, pk: sent.append(pk))
    return sent


def test_a_queued_job_left_unclaimed_is_sent_again_not_failed(owner, settings, monkeypatch):
    settings.JOB_QUEUED_STALE_SECONDS = 300
    fresh = TrainedModelFactory(owner=owner)
    old = TrainedModelFactory(owner=owner)
    TrainedModel.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    sent = _capture_sends(monkeypatch)
    assert job_reap_stale(TrainedModel) == {"requeued": 0, "failed": 0, "resent": 1}
    assert sent == [old.pk]
    # Its last send is stamped: the next reap does not send it again until it ages.
    assert job_reap_stale(TrainedModel) == {"requeued": 0, "failed": 0, "resent": 0}
    for job in (fresh, old):
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED  # waiting is not failing


def test_a_queued_job_whose_resend_hits_a_dead_broker_fails_with_the_reason(owner, dead_broker):
    job = TrainedModelFactory(owner=owner)
    TrainedModel.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert job_reap_stale(TrainedModel)["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("could not reach the task broker: ")


class _Blocking:
    """Stands in for a job's task: blocks until released, records how many run at once."""

    def __init__(self):
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.now = self.peak = self.calls = 0

    def apply(self, args):
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        self.release.wait(30)
        with self.lock:
            self.now -= 1


@pytest.fixture
def embedded(settings, monkeypatch):
    settings.JOBS_EAGER_MODE = "thread"
    settings.JOBS_EMBEDDED_WORKERS = 2
    monkeypatch.setattr(jobs, "_runner", None)
    yield
    runner = jobs._runner
    if runner is not None:
        runner.stop.set()
        runner.pool.shutdown(wait=True)
        if runner._reaper is not None:
            runner._reaper.join(10)
    jobs._runner = None


def test_the_embedded_runner_runs_at_most_its_pool_size_and_queues_the_rest(
    owner, embedded, monkeypatch
):
    blocking = _Blocking()
    monkeypatch.setattr(jobs, "_eager_task", lambda name: blocking)
    rows = [TrainedModelFactory(owner=owner) for _ in range(10)]
    before = threading.active_count()
    for row in rows:
        jobs._send(TrainedModel, row.pk)
    # The same waiting job sent again (the reaper's resend) is not queued twice.
    jobs._send(TrainedModel, rows[-1].pk)
    deadline = time.monotonic() + 10
    while blocking.now < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert blocking.now == 2
    assert threading.active_count() - before == 2  # not one thread per job
    blocking.release.set()
    jobs._runner.pool.shutdown(wait=True)
    assert blocking.peak == 2 and blocking.calls == 10


def test_the_embedded_runner_reaps_when_the_web_process_starts_serving(
    owner, embedded, monkeypatch
):
    blocking = _Blocking()
    blocking.release.set()
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_eager_task", lambda name: blocking)
    real_submit = jobs.EmbeddedRunner.submit
    monkeypatch.setattr(
        jobs.EmbeddedRunner,
        "submit",
        lambda self, model, pk: sent.append(pk) or real_submit(self, model, pk),
    )
    start = timezone.now() - timedelta(days=1)
    # A sync a killed process left running (its heartbeat stopped 10 minutes ago) and one
    # that was waiting in its pool, queued a moment ago.
    left_running = KlineSync.objects.create(
        owner=owner, symbol="BTCUSDT", interval="1h", start=start
    )
    job_claim(KlineSync, left_running.pk)
    KlineSync.objects.filter(pk=left_running.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    left_queued = KlineSync.objects.create(
        owner=owner, symbol="ETHUSDT", interval="1h", start=start
    )
    assert jobs_embedded_start() is True
    assert jobs_embedded_start() is False  # one reaper per process
    deadline = time.monotonic() + 30
    while blocking.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    jobs._runner.stop.set()
    jobs._runner._reaper.join(10)
    # Both sent to the pool once each, at start-up (no waiting for the queued one to age).
    assert sorted(sent) == sorted([left_running.pk, left_queued.pk])
    left_running.refresh_from_db()
    assert left_running.status == JobStatus.QUEUED and left_running.attempts == 1
    assert left_running.worker == ""


def test_the_reaper_does_not_start_outside_the_embedded_thread_mode(settings, embedded):
    settings.JOBS_EAGER_MODE = "inline"
    assert jobs_embedded_start() is False
    assert jobs._runner is None


def _jobs(owner):
    start = timezone.now() - timedelta(days=1)
    return {
        "backtest": BacktestRunFactory(owner=owner),
        "sweep": SweepFactory(owner=owner),
        "training": TrainedModelFactory(owner=owner),
        "sync": KlineSync.objects.create(owner=owner, symbol="BTCUSDT", interval="1h", start=start),
    }


API_CANCEL = {
    "backtest": "/api/backtests/{}/cancel/",
    "sweep": "/api/backtests/sweeps/{}/cancel/",
    "training": "/api/ml/models/{}/cancel/",
    "sync": "/api/binance/syncs/{}/cancel/",
}
PAGE_CANCEL = {
    "backtest": "/backtests/{}/cancel/",
    "sweep": "/backtests/sweeps/{}/cancel/",
    "training": "/ml/{}/cancel/",
    "sync": "/binance/syncs/{}/cancel/",
}


@pytest.mark.parametrize("kind", list(API_CANCEL))
def test_the_owner_cancels_every_job_kind_through_the_api(
    kind, owner, owner_api, other_user, client_for
):
    job = _jobs(owner)[kind]
    if kind in ("training", "sync"):
        job_claim(type(job), job.pk)  # running, not only queued
    url = API_CANCEL[kind].format(job.pk)
    assert client_for(other_user).post(url).status_code == 404
    job.refresh_from_db()
    assert job.is_active
    r = owner_api.post(url)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == JobStatus.CANCELLED
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert owner_api.post(url).status_code == 409  # already finished


@pytest.mark.parametrize("kind", list(PAGE_CANCEL))
def test_the_owner_cancels_every_job_kind_from_its_page(kind, owner, other_user):
    job = _jobs(owner)[kind]
    url = PAGE_CANCEL[kind].format(job.pk)
    intruder = Client()
    intruder.force_login(other_user)
    assert intruder.post(url).status_code == 404
    client = Client()
    client.force_login(owner)
    r = client.post(url, follow=True)
    assert r.status_code == 200
    assert "cancelled" in r.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    page = client.post(url, follow=True).content.decode()
    assert "already finished" in page


def test_a_cancelled_sweep_stops_its_remaining_chunks(owner, owner_api, btc_candles):
    from apps.backtests.services import sweep_chunk_execute

    sweep = _jobs(owner)["sweep"]
    Sweep.objects.filter(pk=sweep.pk).update(
        grid={"indicators.rsi.period": [7, 10, 14]}, combinations=3
    )
    claimed = job_claim(Sweep, sweep.pk)
    assert owner_api.post(API_CANCEL["sweep"].format(sweep.pk)).status_code == 200
    assert sweep_chunk_execute(sweep.pk, claimed.attempts, 0, 3) == 0
    assert not SweepResult.objects.filter(sweep=sweep).exists()


def test_a_candle_import_left_running_by_a_dead_worker_is_reaped(settings, tmp_path):
    # Uploads are imported as jobs (issue 15): a worker that dies mid-import leaves its
    # row running; the reaper fails it once its attempts are spent (its transaction died
    # with it, so no candle was stored), and queues it again while attempts remain.
    settings.JOB_MAX_ATTEMPTS = 2
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    upload = tmp_path / "left.upload"
    upload.write_bytes(b"timestamp,open,high,low,close,volume\n")

    def left(attempts: int) -> CandleImport:
        return CandleImport.objects.create(
            symbol_name="DEADUSDT",
            source=CandleImport.Source.UPLOAD,
            status=JobStatus.RUNNING,
            attempts=attempts,
            started_at=stale,
            heartbeat_at=stale,
            upload_path=str(upload),
        )

    spent, again = left(2), left(1)
    sent = []
    jobs_send = jobs._send
    try:
        jobs._send = lambda model, pk: sent.append(pk)
        assert job_reap_stale(CandleImport) == {"requeued": 1, "failed": 1, "resent": 0}
    finally:
        jobs._send = jobs_send
    spent.refresh_from_db()
    again.refresh_from_db()
    assert spent.status == JobStatus.FAILED and "stopped 2 time(s)" in spent.error
    assert again.status == JobStatus.QUEUED and sent == [again.pk]
