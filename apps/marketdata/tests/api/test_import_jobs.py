"""A large upload is imported as a job (issue 15): 202 + Location, its CandleImport row the
truth about status and progress while it reads and stores the rows, another user's import
a 404, a failed or cancelled import leaving the database, the cache and the disk as they
were; a small upload runs the same job within the request."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.core.jobs import job_cancel
from apps.marketdata import candlecache, services
from apps.marketdata.models import Candle, CandleImport
from apps.marketdata.selectors import candles_frame

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _large_is_tiny(settings, tmp_path, monkeypatch):
    """Every upload over 1 KB is "large"; enqueued jobs are kept, not run, so each test
    runs them when it chooses (as a worker would)."""
    settings.MARKETDATA_IMPORT_INLINE_MAX_BYTES = 1024
    settings.MARKETDATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.MARKETDATA_CANDLE_CACHE_DIR = str(tmp_path / "cache")
    queued: list[int] = []
    monkeypatch.setattr(services, "job_enqueue", lambda record: queued.append(record.pk))
    yield queued
    candlecache.flush()


def _post(client, content: bytes, symbol="ETHUSDT", name="eth.csv", interval="1h"):
    return client.post(
        "/api/market-data/imports/",
        {
            "file": SimpleUploadedFile(name, content, "text/csv"),
            "symbol": symbol,
            "interval": interval,
        },
        format="multipart",
    )


def _uploads(settings) -> list[Path]:
    root = Path(settings.MARKETDATA_IMPORT_DIR)
    return sorted(root.iterdir()) if root.exists() else []


def test_a_large_upload_is_a_job_with_location_progress_and_outcome(
    importer_client, eth_1h_path, settings, _large_is_tiny, monkeypatch
):
    r = _post(importer_client, eth_1h_path.read_bytes())
    assert r.status_code == 202, r.json()
    body = r.json()
    assert r["Location"] == body["url"] == f"/api/market-data/imports/{body['id']}/"
    assert (body["status"], body["progress"], body["rows_inserted"]) == ("queued", 0.0, 0)
    assert body["created_at"].endswith("Z") and body["finished_at"] is None
    assert _large_is_tiny == [body["id"]] and len(_uploads(settings)) == 1
    assert not Candle.objects.exists()  # nothing stored before the job runs

    reports: list[tuple[float, str]] = []
    real = services._ProgressWriter.report
    monkeypatch.setattr(
        services._ProgressWriter,
        "report",
        lambda self, f, stage: (reports.append((f, stage)), real(self, f, stage))[1],
    )
    assert services.candle_import_execute(body["id"]) == "succeeded"
    stages = [s for _, s in reports]
    assert stages[0] == "reading" and stages[-1] == "storing" and "storing" in stages
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and 0 < fractions[0] < fractions[-1] == 1.0

    done = importer_client.get(r["Location"]).json()
    assert (done["status"], done["progress"], done["stage"]) == ("succeeded", 100.0, None)
    assert (done["rows_inserted"], done["gap_count"]) == (7477, 7)
    assert done["started_at"] and done["finished_at"]
    assert Candle.objects.filter(symbol__name="ETHUSDT").count() == 7477
    assert _uploads(settings) == []  # the stored upload went with the job


def test_another_users_import_is_a_404(importer_client, client_for, eth_1h_path):
    from apps.accounts.tests.factories import UserFactory

    body = _post(importer_client, eth_1h_path.read_bytes()).json()
    other = client_for(UserFactory(username="carol", permissions=["import_candles"]))
    assert other.get(body["url"]).status_code == 404
    assert other.get("/api/market-data/imports/").json()["count"] == 0
    assert importer_client.get(body["url"]).status_code == 200


def test_a_failed_import_job_leaves_database_cache_and_disk_as_they_were(
    importer_client, eth_1h_path, settings, monkeypatch
):
    lines = eth_1h_path.read_text().splitlines()
    first = _post(importer_client, "\n".join(lines[:3001]).encode()).json()
    assert services.candle_import_execute(first["id"]) == "succeeded"
    before = candles_frame(symbol="ETHUSDT", interval="1h")
    candlecache.flush()
    files = {p: p.read_bytes() for p in Path(settings.MARKETDATA_CANDLE_CACHE_DIR).glob("*")}
    assert len(before) == 3001 and files

    second = _post(importer_client, eth_1h_path.read_bytes()).json()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_series_changed", broken)  # after the rows went in
    assert services.candle_import_execute(second["id"]) == "failed"
    row = importer_client.get(second["url"]).json()
    assert (row["status"], row["error"], row["rows_inserted"]) == ("failed", "disk full", 0)
    assert Candle.objects.count() == 3001
    candlecache.flush()
    after = {p: p.read_bytes() for p in Path(settings.MARKETDATA_CANDLE_CACHE_DIR).glob("*")}
    assert after == files
    assert candles_frame(symbol="ETHUSDT", interval="1h").equals(before)
    assert _uploads(settings) == []


def test_a_rejected_large_file_stores_nothing_and_says_why(importer_client, btc_1h_lines):
    lines = list(btc_1h_lines[:2000])
    fields = lines[700].split(",")
    fields[2] = "-5"  # a negative high
    lines[700] = ",".join(fields)
    body = _post(importer_client, "\n".join(lines).encode(), symbol="BTCUSDT").json()
    services.candle_import_execute(body["id"])
    row = importer_client.get(body["url"]).json()
    assert row["status"] == "rejected" and "line 701" in row["error"]
    assert not Candle.objects.exists()


def test_a_cancelled_queued_import_never_runs_and_its_upload_goes(
    importer_client, eth_1h_path, settings
):
    body = _post(importer_client, eth_1h_path.read_bytes()).json()
    assert job_cancel(CandleImport.objects.get(pk=body["id"]))
    assert services.candle_import_execute(body["id"]) == "skipped"
    assert importer_client.get(body["url"]).json()["status"] == "cancelled"
    assert not Candle.objects.exists() and _uploads(settings) == []


def test_a_small_upload_runs_the_same_job_within_the_request(
    importer_client, btc_1h_lines, settings, _large_is_tiny
):
    settings.MARKETDATA_IMPORT_INLINE_MAX_BYTES = 10 * 1024 * 1024
    r = _post(importer_client, "\n".join(btc_1h_lines[:500]).encode(), symbol="BTCUSDT")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["progress"], body["rows_inserted"]) == ("succeeded", 100.0, 500)
    row = CandleImport.objects.get(pk=body["id"])
    assert row.attempts == 1 and row.started_at and row.finished_at  # claimed and finished
    assert _large_is_tiny == [] and _uploads(settings) == []


def test_the_page_shows_a_large_imports_progress_then_the_series(client, importer, eth_1h_path):
    client.force_login(importer)
    with eth_1h_path.open("rb") as fh:
        r = client.post("/market-data/", {"file": fh, "symbol": "ETHUSDT", "interval": "1h"})
    assert r.status_code == 302 and "?import=" in r["Location"]
    pk = int(r["Location"].rsplit("=", 1)[1])
    page = client.get(r["Location"])
    html = page.content.decode()
    assert (
        'id="import-progress"' in html and f'data-job-url="/api/market-data/imports/{pk}/"' in html
    )
    services.candle_import_execute(pk)
    done = client.get(r["Location"])
    assert done.status_code == 302 and "symbol=ETHUSDT&interval=1h" in done["Location"]


@pytest.mark.services
def test_progress_is_visible_while_the_rows_are_stored(importer_client, monkeypatch):
    """PostgreSQL: another connection reads the running import's progress while its rows
    are being written in the import's (uncommitted) transaction."""
    assert connection.vendor == "postgresql"
    from bench.common import random_walk_candles, to_binance_csv

    monkeypatch.setattr(services, "INSERT_BATCH_ROWS", 10_000)
    monkeypatch.setattr(services._ProgressWriter, "PROGRESS_SECONDS", 0.05)
    csv = to_binance_csv(random_walk_candles(200_000))
    body = _post(importer_client, csv, symbol="PROGUSDT", interval="1m").json()

    def run() -> None:
        try:
            services.candle_import_execute(body["id"])
        finally:
            connection.close()

    runner = threading.Thread(target=run)
    runner.start()
    seen = set()
    while runner.is_alive():
        row = CandleImport.objects.values("status", "stage", "progress").get(pk=body["id"])
        if row["status"] == "running":
            seen.add((row["stage"], row["progress"]))
        time.sleep(0.02)
    runner.join()
    storing = sorted(p for stage, p in seen if stage == "storing")
    assert len(storing) >= 2 and 30 <= storing[0] < storing[-1] < 100, seen
    assert CandleImport.objects.get(pk=body["id"]).status == "succeeded"
    assert Candle.objects.filter(symbol__name="PROGUSDT").count() == 200_000


def test_an_import_whose_upload_is_gone_fails_saying_so(importer_client, eth_1h_path, settings):
    body = _post(importer_client, eth_1h_path.read_bytes()).json()
    for path in _uploads(settings):
        path.unlink()
    assert services.candle_import_execute(body["id"]) == "failed"
    row = importer_client.get(body["url"]).json()
    assert row["status"] == "failed" and "uploaded file is gone" in row["error"]
    assert not Candle.objects.exists()
