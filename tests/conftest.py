"""Fixtures for the suite that runs against the real services: a Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _worker_env() -> dict[str, str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = os.environ.copy()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class WorkerProcess:
    """A real `celery worker` subprocess bound to the test database."""

    def __init__(self, concurrency: int = 1):
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None
        self.log = ROOT / "test-artifacts" / f"worker-{self.name.split('@')[0]}.log"

    def start(self, timeout: float = 60) -> None:
        from tradingsite.celery import app

        self.log.parent.mkdir(exist_ok=True)
        self._fh = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tradingsite",
                "worker",
                "--loglevel=INFO",
                "-c",
                str(self.concurrency),
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
                "-P",
                "prefork",
            ],
            cwd=ROOT,
            env=_worker_env(),
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"celery worker exited with {self.proc.returncode}; see {self.log}"
                )
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"celery worker did not answer a ping in {timeout}s; see {self.log}")

    def kill(self, sig: int = 9) -> None:
        """SIGKILL the whole worker process group (main process and its pool children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_fh", None):
            self._fh.close()


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A running worker; tasks sent during the test go through Redis to it."""
    from tradingsite.celery import app

    app.control.purge()
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = WorkerProcess()
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = True
