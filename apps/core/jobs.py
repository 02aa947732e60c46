"""The one shape every background job has (backtest runs, sweeps, trainings, syncs).

The database row is the truth about a job: status, progress, error, timings. Celery
only carries the row's id. The rules, in one place:

- enqueue on commit, with the id only (``job_enqueue``); inside ``jobs_inline()`` the job
  runs in the enqueuing process instead, whatever the broker (the demo loader). A send the broker refuses
  (unreachable) marks the row failed with "could not reach the task broker: <reason>"
  and raises ``JobEnqueueError`` (the API answers 503, a page shows the message);
- a worker *claims* the row with a conditional UPDATE (queued -> running, attempt + 1);
  zero rows updated means someone else has it or it is finished: do nothing;
- while running, a heartbeat thread stamps ``heartbeat_at`` every few seconds, and the
  progress callback writes ``progress`` at most about once a second (and notices a
  cancellation);
- the result is written in one transaction, conditional on the row still being
  running *with this attempt* (a fencing token), so a stale worker can never store a
  second copy;
- a row left ``running`` by a dead worker (heartbeat older than JOB_STALE_SECONDS) is
  reaped: queued again while attempts remain, else failed with a clear message;
- a row still ``queued`` JOB_QUEUED_STALE_SECONDS after its last send is held by no
  worker (a queued row never is), but its message may only be waiting behind busy
  workers, so it is *sent again*, never failed for waiting: the conditional claim makes
  the duplicate harmless. For a queued row ``heartbeat_at`` records its last send.
  It fails only if the resend cannot reach the broker (or it has no attempts left);
- the reaper runs every JOB_REAP_SECONDS in every Celery worker (from its start, so no
  job waits for beat, which also runs it) and, in the embedded default, in the web
  process (from when it starts serving); and whenever someone looks at a stale job;
- without a broker (JOBS_EAGER_MODE=thread) jobs run in a bounded pool of
  JOBS_EMBEDDED_WORKERS threads of the web process; extra jobs wait ``queued``;
- an owner cancels a queued or running job (``job_cancel``); a running body notices at
  its next progress call, a sweep's remaining chunks at their next combination.

Bounds after a crash: a job left running is requeued or failed within
JOB_STALE_SECONDS + JOB_REAP_SECONDS of a reaper being alive (any worker, beat, or the
embedded web process once it serves again); a queued job left by a dead embedded
process is sent again when the process starts serving.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


class JobEnqueueError(Exception):
    """The task broker could not take the job; the row was marked failed with the reason."""


def _broker_reason(exc: BaseException) -> str:
    """Why a send failed, without the broker's URL or password: the OS error's text
    (e.g. "Connection refused") found along the exception chain, else its type."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        if isinstance(e, TimeoutError):
            return "timed out"
        # redis-py: "Error 101 connecting to host:port. Network is unreachable."
        found = re.search(r"connecting to \S+?\.\s+([^.:/@]+)", str(e))
        if found:
            return found.group(1).strip()
        e = e.__cause__ or e.__context__
    return type(exc).__name__


_inline = contextvars.ContextVar("jobs_inline", default=False)


@contextmanager
def jobs_inline() -> Iterator[None]:
    """Jobs enqueued inside this block run in this process before their enqueue returns,
    whatever the broker: for a caller that needs the result now (the demo loader), with or
    without workers running. The job protocol is unchanged: the row is claimed, fenced and
    finished as a worker would."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def _send(model: type[Job], pk: int) -> None:
    from kombu.exceptions import OperationalError

    from tradingsite.celery import app

    if _inline.get():
        _eager_task(model.task_name).apply(args=[pk])
        return
    if not app.conf.task_always_eager:
        try:
            # Retries are short (CELERY_TASK_PUBLISH_RETRY_POLICY) so a request never
            # hangs on a dead broker.
            app.send_task(model.task_name, args=[pk])
        except (OperationalError, OSError) as exc:
            message = f"could not reach the task broker: {_broker_reason(exc)}"
            model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
                status=JobStatus.FAILED, error=message, finished_at=timezone.now()
            )
            logger.error("%s %s not started: %s", model.__name__, pk, message)
            raise JobEnqueueError(message) from None
        return
    # Embedded default (no broker): run in-process. "thread" answers the request at once
    # and lets the page watch the progress, like a worker would; "inline" (tests) runs
    # before returning. Failures are stored on the row either way.
    if _setting("JOBS_EAGER_MODE", "inline") == "thread":
        embedded_runner().submit(model, pk)
    else:
        _eager_task(model.task_name).apply(args=[pk])


def _eager_task(name: str):
    from tradingsite.celery import app

    if name not in app.tasks:
        # Outside a worker the apps' tasks modules are imported on first use.
        app.loader.import_default_modules()
    return app.tasks[name]


def task_signature(name: str, *args):
    """A Celery signature of the task registered as ``name`` (for a group of sub-tasks),
    so a service fans out by task name instead of importing its app's tasks module."""
    return _eager_task(name).s(*args)


class EmbeddedRunner:
    """The embedded default's worker: a bounded pool of threads in the web process (jobs
    beyond JOBS_EMBEDDED_WORKERS wait queued) and a reaper thread that runs at start-up,
    then every JOB_REAP_SECONDS. A job already waiting in the pool is not queued twice."""

    def __init__(self, workers: int, reap_every: float):
        self.workers, self.reap_every = max(1, workers), reap_every
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="job")
        self._waiting: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self.stop = threading.Event()

    def submit(self, model: type[Job], pk: int) -> bool:
        key = (model._meta.label, pk)
        with self._lock:
            if key in self._waiting:
                return False
            self._waiting.add(key)
        self.pool.submit(self._run, model, pk, key)
        return True

    def _run(self, model: type[Job], pk: int, key: tuple[str, int]) -> None:
        with self._lock:
            self._waiting.discard(key)
        try:
            _eager_task(model.task_name).apply(args=[pk])
        finally:
            from django.db import connection

            connection.close()

    def start_reaper(self) -> bool:
        """Reap now (a previous process may have died mid-job), then periodically. At
        start-up nothing of a previous process's pool survives: every queued row is sent
        again at once (a duplicate is harmless) instead of waiting for it to age."""
        with self._lock:
            if self._reaper is not None:
                return False
            self._reaper = reaper_thread(
                self.stop, self.reap_every, first_queued_after=0, who="embedded"
            )
        self._reaper.start()
        return True


def reaper_thread(
    stop: threading.Event,
    every: float,
    *,
    first_queued_after: float | None,
    who: str,
    wait_first: bool = False,
) -> threading.Thread:
    """A daemon thread that runs ``jobs_reap_all`` now (or after one period) and then
    every ``every`` seconds until ``stop`` is set (the embedded web process, workers)."""

    def loop() -> None:
        from django.db import connection

        queued_after = first_queued_after
        if wait_first and stop.wait(every):
            return
        while True:
            try:
                result = jobs_reap_all(queued_after=queued_after)
                if any(any(v.values()) for v in result.values()):
                    logger.warning("%s reaper: %s", who, result)
            except Exception:  # noqa: BLE001 - the reaper must outlive a bad moment
                logger.exception("%s reaper failed", who)
            finally:
                connection.close()
            queued_after = None
            if stop.wait(every):
                return

    return threading.Thread(target=loop, daemon=True, name=f"{who}-job-reaper")


_runner: EmbeddedRunner | None = None
_runner_lock = threading.Lock()


def embedded_runner() -> EmbeddedRunner:
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = EmbeddedRunner(
                _setting("JOBS_EMBEDDED_WORKERS", 2), _setting("JOB_REAP_SECONDS", 30)
            )
        return _runner


def jobs_embedded_start() -> bool:
    """Called when a web process starts serving (wsgi/asgi): in the embedded default
    (no broker, JOBS_EAGER_MODE=thread) start the reaper thread; otherwise nothing
    (Celery workers and beat reap). Management commands never call this."""
    from tradingsite.celery import app

    if not app.conf.task_always_eager or _setting("JOBS_EAGER_MODE", "inline") != "thread":
        return False
    started = embedded_runner().start_reaper()
    if started:
        engine_warm_up(background=True)
    return started


def engine_warm_up(*, background: bool) -> threading.Thread | None:
    """Compile the engine's numba kernels now (``engine.warmup``) rather than in the first
    user's request: in a daemon thread for the embedded runner, so start-up is not held
    up; in the calling thread for a Celery worker's main process, before its pool forks,
    so every pool process starts warm. Off with JOBS_WARM_UP=false; never raises."""
    if not _setting("JOBS_WARM_UP", True):
        return None

    def run() -> None:
        from engine.warmup import warm_up

        try:
            timings = warm_up()
            logger.info(
                "engine warm-up done: %s", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
            )
        except Exception:  # noqa: BLE001 - a failed warm-up only means a slower first request
            logger.exception("engine warm-up failed")

    if not background:
        run()
        return None
    thread = threading.Thread(target=run, name="engine-warm-up", daemon=True)
    thread.start()
    return thread


def job_claim(model: type[J], pk: int) -> J | None:
    """Queued -> running, atomically. None when the job is not queued (finished, running
    elsewhere, cancelled, or gone): the caller must then do nothing."""
    now = timezone.now()
    updated = model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker=f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"[:200],
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
        return JobStatus.SUCCEEDED
    except JobCancelled:
        logger.info("%s %s cancelled while running", model.__name__, pk)
        return JobStatus.CANCELLED
    except Exception as exc:  # noqa: BLE001 - every failure is stored on the row
        from celery.exceptions import SoftTimeLimitExceeded

        message = (
            "the job ran out of time and was stopped"
            if isinstance(exc, SoftTimeLimitExceeded)
            else short_error(exc)
        )
        logger.exception("%s %s failed: %s", model.__name__, pk, message)
        ctx.running().update(status=JobStatus.FAILED, error=message, finished_at=timezone.now())
        return JobStatus.FAILED
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


def job_reap_stale(
    model: type[Job], *, pk: int | None = None, queued_after: float | None = None
) -> dict[str, int]:
    """Requeue (or fail) running jobs whose worker stopped heartbeating, and send again
    queued jobs whose last send is older than ``queued_after`` seconds (default
    JOB_QUEUED_STALE_SECONDS)."""
    stale_after = _setting("JOB_STALE_SECONDS", 60)
    max_attempts = _setting("JOB_MAX_ATTEMPTS", 2)
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_after)
    stale = model.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if pk is not None:
        stale = stale.filter(pk=pk)
    requeued = failed = resent = 0
    for job in stale.only("pk", "attempts"):
        base = model.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        if job.attempts < max_attempts:
            try:
                with transaction.atomic():
                    if base.update(
                        status=JobStatus.QUEUED, progress=0.0, worker="", heartbeat_at=now
                    ):
                        requeued += 1
                        job_enqueue(job)
                        logger.warning(
                            "%s %s: its worker stopped; queued again", model.__name__, job.pk
                        )
            except JobEnqueueError:
                requeued, failed = requeued - 1, failed + 1
        elif base.update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"the worker running this job stopped {job.attempts} time(s); giving up",
        ):
            failed += 1
            logger.warning("%s %s: its worker stopped again; marked failed", model.__name__, job.pk)

    if queued_after is None:
        queued_after = _setting("JOB_QUEUED_STALE_SECONDS", 300)
    qcut = now - timedelta(seconds=queued_after)
    waiting = model.objects.filter(status=JobStatus.QUEUED).filter(
        Q(heartbeat_at__lt=qcut) | Q(heartbeat_at__isnull=True, created_at__lt=qcut)
    )
    if pk is not None:
        waiting = waiting.filter(pk=pk)
    for job in waiting.only("pk", "attempts", "heartbeat_at"):
        # Conditional on the last-send stamp: two reapers never both send the same row.
        base = model.objects.filter(
            pk=job.pk, status=JobStatus.QUEUED, heartbeat_at=job.heartbeat_at
        )
        if job.attempts >= max_attempts:
            if base.update(
                status=JobStatus.FAILED,
                finished_at=timezone.now(),
                error=f"no attempts left after {job.attempts}; giving up",
            ):
                failed += 1
            continue
        if base.update(heartbeat_at=timezone.now()):
            try:
                _send(model, job.pk)
                resent += 1
            except JobEnqueueError:
                failed += 1
    return {"requeued": requeued, "failed": failed, "resent": resent}


JOB_MODELS: list[type[Job]] = []


def register_job_model(model: type[J]) -> type[J]:
    """Class decorator: the reaper visits every registered job model."""
    JOB_MODELS.append(model)
    return model


def jobs_reap_all(*, queued_after: float | None = None) -> dict[str, dict[str, int]]:
    return {m.__name__: job_reap_stale(m, queued_after=queued_after) for m in JOB_MODELS}
