"""No job left stuck after a crash, in both running modes (issue 12, finding 4).

Full stack: a Celery worker SIGKILLed mid-sync with NO beat running; the next worker
requeues the sync once its heartbeat is older than JOB_STALE_SECONDS (6 s in the test
settings) -- at its start-up if it starts later than that, else by its periodic reaper
(every JOB_REAP_SECONDS) -- and finishes it, resuming from the last stored candle.
Bound: JOB_STALE_SECONDS + JOB_REAP_SECONDS after the kill, plus the worker's start-up.

Embedded default: a real `manage.py runserver --noreload` on SQLite (no broker,
JOBS_EAGER_MODE=thread) SIGKILLed mid-sync; after a restart its reaper requeues the sync
and the server finishes it. Bound: JOB_STALE_SECONDS + JOB_REAP_SECONDS after the
server starts serving (here 3 s + 1 s; by default 60 s + 30 s).

Both sync from the fake Binance of apps/binance/tests, slowed to ~1 s a page so the kill
lands mid-sync. Nothing polls the job's page here: that would reap it too.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission

from apps.binance.models import KlineSync
from apps.binance.tests.fakeserver import FakeBinance
from apps.core.jobs import ACTIVE, JobStatus
from apps.marketdata.models import Candle

pytestmark = [pytest.mark.services]

ROOT = Path(__file__).resolve().parents[1]
START = "2020-08-01T00:00:00Z"


class SlowBinance(FakeBinance):
    """The fake exchange, one kline page a second."""

    delay = 1.0

    def _handle(self, h) -> None:
        if urlsplit(h.path).path == "/api/v3/klines":
            time.sleep(self.delay)
        super()._handle(h)


@pytest.fixture
def slow_binance(settings, monkeypatch):
    server = SlowBinance({}).start()
    settings.BINANCE_BASE_URL = server.url
    monkeypatch.setenv("BINANCE_BASE_URL", server.url)  # for the worker processes
    yield server
    server.stop()


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out ({timeout} s) waiting for {what}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("restart", ["at once", "after the heartbeat went stale"])
def test_a_killed_worker_s_sync_is_requeued_by_the_next_worker_without_beat(
    restart, slow_binance, monkeypatch, celery_worker, user_client, user, settings
):
    # The worker reaps every 2 s (the default is 30 s); its settings come from this env.
    # Restarted at once, it must find the heartbeat still fresh at start-up (15 s > its
    # start-up time), so its periodic reaper is what requeues the sync.
    stale = 15 if restart == "at once" else settings.JOB_STALE_SECONDS
    monkeypatch.setenv("JOB_REAP_SECONDS", "2")
    monkeypatch.setenv("JOB_STALE_SECONDS", str(stale))
    user.user_permissions.add(Permission.objects.get(codename="import_candles"))
    r = user_client.post(
        "/api/binance/syncs/",
        {"symbol": "BTCUSDT", "interval": "1h", "start": START},
        format="json",
    )
    assert r.status_code == 202, r.content
    pk = r.json()["id"]
    _until(
        lambda: KlineSync.objects.filter(pk=pk, status=JobStatus.RUNNING, pages__gte=1).exists(),
        60,
        "the first page",
    )
    celery_worker.kill()
    killed_at = time.monotonic()
    job = KlineSync.objects.get(pk=pk)
    assert job.status == JobStatus.RUNNING and job.attempts == 1
    if restart != "at once":
        # No beat, nobody looking: the row stays running until a reaper comes.
        time.sleep(stale + 1)
        assert KlineSync.objects.get(pk=pk).status == JobStatus.RUNNING
    # A supervisor restarts the worker at once (its start-up reap then finds a fresh
    # heartbeat: the periodic reaper in the worker requeues it), or later (the start-up
    # reap does).
    celery_worker.start()
    _until(
        lambda: KlineSync.objects.filter(pk=pk, attempts=2).exists(),
        60,
        "a reaper in the new worker to requeue the sync",
    )
    requeued_after = time.monotonic() - killed_at
    done = _until(
        lambda: KlineSync.objects.filter(pk=pk).exclude(status__in=ACTIVE).first(),
        120,
        "the sync to finish",
    )
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.attempts == 2
    expected = len(slow_binance.rows["BTCUSDT"])
    assert Candle.objects.filter(symbol__name="BTCUSDT", interval="1h").count() == expected
    who = "worker reaper: " if restart == "at once" else "stale jobs at worker start: "
    lines = celery_worker.log.read_text().splitlines()
    assert any(who in line and "'KlineSync': {'requeued': 1" in line for line in lines)
    print(
        f"restart {restart}: requeued {requeued_after:.1f} s after the kill "
        f"(bound: stale after {stale} s + reap every 2 s + start-up)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _embedded_env(storage: Path, binance_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "CELERY_", "CACHE_URL", "JOB"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local",
            "STORAGE_DIR": str(storage),
            "MEDIA_ROOT": str(storage / "media"),
            "LOG_FILE": str(storage / "app.log"),
            "BINANCE_BASE_URL": binance_url,
            "JOBS_EAGER_MODE": "thread",
            "JOB_STALE_SECONDS": "3",
            "JOB_REAP_SECONDS": "1",
            "JOB_HEARTBEAT_SECONDS": "0.5",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _manage(env, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def test_a_killed_embedded_server_s_sync_is_requeued_after_restart(slow_binance, tmp_path):
    env = _embedded_env(tmp_path, slow_binance.url)
    _manage(env, "migrate", "--noinput")
    # A sync submitted to the embedded runner: queued; the server sends it to its pool
    # as soon as it starts serving.
    _manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; import pandas as pd; "
        "from apps.binance.models import KlineSync; "
        "u = get_user_model().objects.create_user('alice', password='alice-pass-123'); "
        f"KlineSync.objects.create(owner=u, symbol='BTCUSDT', interval='1h', "
        f"start=pd.Timestamp('{START}').to_pydatetime())",
    )
    db = tmp_path / "db.sqlite3"

    def row() -> tuple[str, int, int, str]:
        with sqlite3.connect(db, timeout=20) as c:
            return c.execute(
                "SELECT status, attempts, pages, error FROM binance_klinesync"
            ).fetchone()

    port = _free_port()
    log = open(tmp_path / "server.log", "ab")

    def serve() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    server = serve()
    try:
        _until(lambda: row()[0] == "running" and row()[2] >= 1, 90, "the first page")
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)
        status, attempts, pages, _ = row()
        assert status == "running" and attempts == 1 and 1 <= pages < 8
        time.sleep(2)
        assert row()[0] == "running"  # nothing else would ever end it
        server = serve()
        restarted = time.monotonic()
        _until(lambda: row()[1] == 2, 60, "the embedded reaper to requeue the sync")
        requeued_after = time.monotonic() - restarted
        _until(lambda: row()[0] not in ("queued", "running"), 120, "the sync to finish")
        status, attempts, pages, error = row()
        assert status == "succeeded" and attempts == 2, (status, attempts, error)
        print(f"requeued {requeued_after:.1f} s after the restart (bound 3 s + 1 s + start-up)")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)
        log.close()
