"""The one shape every background job has (backtest runs, sweeps, trainings, syncs).

The database row is the truth about a job: status, progress, error, timings. Celery
only carries the row's id. The rules, in one place:

- enqueue on commit, with the id only (``job_enqueue``);
- a worker *claims* the row with a conditional UPDATE (queued -> running, attempt + 1);
  zero rows updated means someone else has it or it is finished: do nothing;
- while running, a heartbeat thread stamps ``heartbeat_at`` every few seconds, and the
  progress callback writes ``progress`` at most about once a second (and notices a
  cancellation);
- the result is written in one transaction, conditional on the row still being
  running *with this attempt* (a fencing token), so a stale worker can never store a
  second copy;
- a row left ``running`` by a dead worker (stale heartbeat) is reaped: queued again
  while attempts remain, else failed with a clear message. The reaper runs when a
  worker starts, from Celery beat, and whenever someone looks at a stale job.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(models.Model):
    """Abstract base for job rows."""

    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0, help_text="0-100")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    # The Celery task (dotted name) that executes this kind of job; set by subclasses.
    task_name: str = ""

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


J = TypeVar("J", bound=Job)


def _setting(name: str, default):
    return getattr(settings, name, default)


def job_enqueue(job: Job) -> None:
    """Send the job's task once the surrounding transaction commits (id only)."""
    model, pk = type(job), job.pk
    transaction.on_commit(lambda: _send(model, pk))


def _send(model: type[Job], pk: int) -> None:
    from tradingsite.celery import app

    if not app.conf.task_always_eager:
        app.send_task(model.task_name, args=[pk])
        return
    # Embedded default (no broker): run in-process. "thread" answers the request at once
    # and lets the page watch the progress, like a worker would; "inline" (tests) runs
    # before returning. Failures are stored on the row either way.
    if _setting("JOBS_EAGER_MODE", "inline") == "thread":
        threading.Thread(target=_run_in_thread, args=(model, pk), daemon=True).start()
    else:
        _eager_task(model.task_name).apply(args=[pk])


def _eager_task(name: str):
    from tradingsite.celery import app

    if name not in app.tasks:
        # Outside a worker the apps' tasks modules are imported on first use.
        app.loader.import_default_modules()
    return app.tasks[name]


def _run_in_thread(model: type[Job], pk: int) -> None:
    try:
        _eager_task(model.task_name).apply(args=[pk])
    finally:
        from django.db import connection

        connection.close()


def job_claim(model: type[J], pk: int) -> J | None:
    """Queued -> running, atomically. None when the job is not queued (finished, running
    elsewhere, cancelled, or gone): the caller must then do nothing."""
    now = timezone.now()
    updated = model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker=f"{socket.gethostname()}:{threading.get_native_id()}"[:200],
        error="",
    )
    if not updated:
        return None
    return model.objects.get(pk=pk)


class JobCancelled(Exception):
    """Raised inside a running job when its row was cancelled."""


@dataclass
class JobContext:
    """Handed to a job's body: progress reporting, cancellation checks, the fencing token."""

    model: type[Job]
    pk: int
    attempt: int
    min_interval: float = 1.0
    _last_write: float = 0.0
    _last_value: float = -1.0

    def running(self) -> models.QuerySet:
        return self.model.objects.filter(
            pk=self.pk, status=JobStatus.RUNNING, attempts=self.attempt
        )

    def progress(self, fraction: float, *, force: bool = False) -> None:
        """Store progress (0..1) at most about once a second; raise JobCancelled if cancelled."""
        now = time.monotonic()
        if not force and now - self._last_write < self.min_interval:
            return
        value = round(max(0.0, min(1.0, fraction)) * 100, 1)
        self._last_write = now
        if value == self._last_value and not force:
            return
        self._last_value = value
        if not self.running().update(progress=value, heartbeat_at=timezone.now()):
            raise JobCancelled()

    def finish(self, **fields) -> bool:
        """Mark succeeded with ``fields`` — only if still running with this attempt."""
        return bool(
            self.running().update(
                status=JobStatus.SUCCEEDED, progress=100.0, finished_at=timezone.now(), **fields
            )
        )


class _Heartbeat(threading.Thread):
    """Stamps heartbeat_at while the job body runs (long numeric calls report no progress)."""

    def __init__(self, ctx: JobContext, every: float):
        super().__init__(daemon=True, name=f"heartbeat-{ctx.model.__name__}-{ctx.pk}")
        self.ctx, self.every = ctx, every
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.wait(self.every):
                self.ctx.running().update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a heartbeat must never kill the job
            logger.exception("heartbeat failed")
        finally:
            close_old_connections()
            from django.db import connection

            connection.close()


def short_error(exc: BaseException) -> str:
    """What a user sees of a failure: the exception's message, one line, no traceback."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:500]


def job_execute(model: type[J], pk: int, body: Callable[[J, JobContext], None]) -> str:
    """Claim and run a job. ``body(job, ctx)`` computes and calls ``ctx.finish(...)`` inside
    its own transaction (or raises). Returns what happened, for logs and tests."""
    job = job_claim(model, pk)
    if job is None:
        logger.info("%s %s not claimed (not queued); nothing to do", model.__name__, pk)
        return "skipped"
    ctx = JobContext(
        model=model,
        pk=pk,
        attempt=job.attempts,
        min_interval=_setting("JOB_PROGRESS_INTERVAL", 1.0),
    )
    beat = _Heartbeat(ctx, _setting("JOB_HEARTBEAT_SECONDS", 5.0))
    beat.start()
    try:
        body(job, ctx)
        return "succeeded"
    except JobCancelled:
        logger.info("%s %s cancelled while running", model.__name__, pk)
        return "cancelled"
    except Exception as exc:  # noqa: BLE001 - every failure is stored on the row
        from celery.exceptions import SoftTimeLimitExceeded

        message = (
            "the job ran out of time and was stopped"
            if isinstance(exc, SoftTimeLimitExceeded)
            else short_error(exc)
        )
        logger.exception("%s %s failed: %s", model.__name__, pk, message)
        ctx.running().update(status=JobStatus.FAILED, error=message, finished_at=timezone.now())
        return "failed"
    finally:
        beat.stop.set()
        beat.join(timeout=10)


def job_cancel(job: Job) -> bool:
    """Cancel a queued or running job. A running body notices at its next progress call."""
    return bool(
        type(job)
        .objects.filter(pk=job.pk, status__in=ACTIVE)
        .update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), error="cancelled by the user"
        )
    )


def job_reap_stale(model: type[Job], *, pk: int | None = None) -> dict[str, int]:
    """Requeue (or fail) jobs whose worker stopped heartbeating."""
    stale_after = _setting("JOB_STALE_SECONDS", 60)
    max_attempts = _setting("JOB_MAX_ATTEMPTS", 2)
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    stale = model.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if pk is not None:
        stale = stale.filter(pk=pk)
    requeued = failed = 0
    for job in stale.only("pk", "attempts"):
        base = model.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        if job.attempts < max_attempts:
            with transaction.atomic():
                if base.update(status=JobStatus.QUEUED, progress=0.0, worker="", heartbeat_at=None):
                    requeued += 1
                    job_enqueue(job)
                    logger.warning(
                        "%s %s: its worker stopped; queued again", model.__name__, job.pk
                    )
        elif base.update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"the worker running this job stopped {job.attempts} time(s); giving up",
        ):
            failed += 1
            logger.warning("%s %s: its worker stopped again; marked failed", model.__name__, job.pk)
    return {"requeued": requeued, "failed": failed}


JOB_MODELS: list[type[Job]] = []


def register_job_model(model: type[J]) -> type[J]:
    """Class decorator: the reaper visits every registered job model."""
    JOB_MODELS.append(model)
    return model


def jobs_reap_all() -> dict[str, dict[str, int]]:
    return {m.__name__: job_reap_stale(m) for m in JOB_MODELS}
