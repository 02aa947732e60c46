"""The job shape every background job shares, exercised on the model-training job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.jobs import JobContext, JobStatus, job_cancel, job_claim, job_execute, job_reap_stale
from apps.ml.models import TrainedModel
from apps.ml.tests.factories import TrainedModelFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(user):
    return TrainedModelFactory(owner=user)


def test_claim_is_exclusive(queued):
    first = job_claim(TrainedModel, queued.pk)
    assert first is not None and first.status == JobStatus.RUNNING and first.attempts == 1
    assert job_claim(TrainedModel, queued.pk) is None


def test_a_redelivered_task_does_nothing_to_a_finished_job(queued):
    calls = []

    def body(job, ctx):
        calls.append(job.pk)
        ctx.finish(metrics={"accuracy": 0.5})

    assert job_execute(TrainedModel, queued.pk, body) == "succeeded"
    assert job_execute(TrainedModel, queued.pk, body) == "skipped"
    assert calls == [queued.pk]


def test_failure_is_stored_as_a_short_message(queued):
    def body(job, ctx):
        raise ValueError("the window has no candles\nTraceback (most recent call last): ...")

    assert job_execute(TrainedModel, queued.pk, body) == "failed"
    queued.refresh_from_db()
    assert queued.status == JobStatus.FAILED and queued.error == "the window has no candles"


def test_cancel_stops_a_running_job_at_its_next_progress(queued):
    def body(job, ctx):
        job_cancel(job)
        ctx.progress(0.5, force=True)
        raise AssertionError("not reached")

    assert job_execute(TrainedModel, queued.pk, body) == "cancelled"
    queued.refresh_from_db()
    assert queued.status == JobStatus.CANCELLED


def test_progress_is_written_at_most_about_once_a_second(queued):
    job = job_claim(TrainedModel, queued.pk)
    ctx = JobContext(model=TrainedModel, pk=job.pk, attempt=job.attempts, min_interval=1.0)
    ctx.progress(0.1, force=True)
    for i in range(1000):
        ctx.progress(0.1 + i / 2000)
    queued.refresh_from_db()
    assert queued.progress == 10.0


def test_a_stale_run_is_requeued_then_failed_and_a_stale_worker_cannot_store(queued, settings):
    settings.JOBS_EAGER_MODE = "inline"
    job = job_claim(TrainedModel, queued.pk)
    stale_ctx = JobContext(model=TrainedModel, pk=job.pk, attempt=job.attempts)
    TrainedModel.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10)
    )

    # Requeue re-sends the task; capture instead of running it.
    sent = []
    import apps.core.jobs as jobs

    original = jobs._send
    jobs._send = lambda model, pk: sent.append(pk)
    try:
        assert job_reap_stale(TrainedModel) == {"requeued": 1, "failed": 0, "resent": 0}
    finally:
        jobs._send = original
    assert sent == [job.pk]
    queued.refresh_from_db()
    assert queued.status == JobStatus.QUEUED
    # The old worker wakes up and tries to store its result: fenced off.
    assert stale_ctx.finish(metrics={"accuracy": 1.0}) is False
    again = job_claim(TrainedModel, queued.pk)
    assert again.attempts == 2
    TrainedModel.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    assert job_reap_stale(TrainedModel) == {"requeued": 0, "failed": 1, "resent": 0}
    queued.refresh_from_db()
    assert queued.status == JobStatus.FAILED and "stopped 2 time(s)" in queued.error


def test_the_engine_warm_up_runs_in_a_background_thread_and_never_raises(
    settings, caplog, monkeypatch
):
    import logging

    from apps.core.jobs import engine_warm_up

    caplog.set_level(logging.INFO, logger="apps.core.jobs")
    thread = engine_warm_up(background=True)
    assert thread is not None and thread.daemon
    thread.join(120)
    assert not thread.is_alive() and "engine warm-up done" in caplog.text

    def broken():
        raise RuntimeError("no compiler")

    monkeypatch.setattr("engine.warmup.warm_up", broken)
    assert engine_warm_up(background=False) is None  # logged, not raised
    assert "engine warm-up failed" in caplog.text
    settings.JOBS_WARM_UP = False
    caplog.clear()
    assert engine_warm_up(background=True) is None and not caplog.text
