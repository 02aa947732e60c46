"""Market-data writes: symbols and candle imports.

``candles_import`` owns the import transaction: a file with any rejected row stores
no candle at all (the import record says why), a good file's candles go in through
the bulk path in one transaction, and rows already stored are counted, not
duplicated. The bulk path never builds one ORM object per row: PostgreSQL gets
``COPY`` into a temporary table, SQLite batched ``executemany``; both then
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` so a re-import is a no-op. Any import
that adds rows gives the series a new version stamp in the same transaction, which is what
keeps the candle cache (``candlecache``) from ever serving a stale series.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.jobs import ACTIVE, JobContext, job_enqueue, job_execute
from apps.core.validators import name_clean
from engine.marketdata import (
    INTERVALS,
    OHLCV,
    CandleFile,
    CandleFileError,
    ReadLimits,
    read_candles,
)
from engine.marketdata.bounds import size_text

from . import candlecache, pgbinary
from .models import (
    WEEKDAY_ASSET_CLASSES,
    Candle,
    CandleImport,
    CandleSeries,
    Symbol,
    new_stamp,
)

logger = logging.getLogger(__name__)

SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,29}$")
KNOWN_QUOTES = ("USDT", "BUSD", "USDC", "FDUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "USD", "TRY")
SQLITE_BATCH = 5_000


def upload_limits() -> ReadLimits:
    """What one candle file may cost, from the settings (the engine takes them as data)."""
    return ReadLimits(
        max_bytes=settings.MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES,
        max_ratio=settings.MARKETDATA_UPLOAD_MAX_RATIO,
        max_members=settings.MARKETDATA_UPLOAD_MAX_MEMBERS,
        max_columns=settings.MARKETDATA_CSV_MAX_COLUMNS,
        max_line_bytes=settings.MARKETDATA_CSV_MAX_LINE_BYTES,
    )


def upload_limits_text() -> str:
    """The limits in one sentence, for the upload form and the API description."""
    return (
        f"Uploads up to {size_text(settings.MARKETDATA_UPLOAD_MAX_BYTES)}, "
        f"{upload_limits().describe()}."
    )


def symbol_name_clean(name: str, field: str = "symbol") -> str:
    """Upper-case and validate a symbol name; ValidationError naming ``field``."""
    value = (name or "").strip().upper()
    if not SYMBOL_RE.match(value):
        raise ValidationError(
            {field: f"{name!r} is not a valid symbol: use 2-30 letters/digits, e.g. BTCUSDT"}
        )
    return value


def interval_clean(interval: str | None, field: str = "interval") -> str | None:
    if interval in (None, ""):
        return None
    if interval not in INTERVALS:
        raise ValidationError(
            {field: f"unknown interval {interval!r}; expected one of {', '.join(INTERVALS)}"}
        )
    return interval


def _split_pair(name: str) -> tuple[str, str, str]:
    """(base, quote, asset class) guessed from a symbol name."""
    core = re.split(r"[-_.]", name)[0]
    for quote in KNOWN_QUOTES:
        if core.endswith(quote) and len(core) > len(quote):
            return core[: -len(quote)], quote, Symbol.AssetClass.CRYPTO
    return core, "USD", Symbol.AssetClass.STOCK


def symbol_get_or_create(
    *,
    name: str,
    exchange: str | None = None,
    asset_class: str | None = None,
    description: str = "",
) -> Symbol:
    name = symbol_name_clean(name)
    name_clean(description, "description")
    base, quote, guessed_class = _split_pair(name)
    symbol, created = Symbol.objects.get_or_create(
        name=name,
        defaults={
            "base_asset": base,
            "quote_asset": quote,
            "asset_class": asset_class or guessed_class,
            "exchange": exchange
            if exchange is not None
            else ("binance" if guessed_class == "crypto" else ""),
            "description": description,
        },
    )
    if created:
        logger.info("symbol %s created", name)
    return symbol


@dataclass(frozen=True)
class _InsertCounts:
    inserted: int
    present: int
    conflicting: int


def _sqlite_time(ms: np.ndarray) -> list[str]:
    # Django stores aware datetimes in SQLite as naive UTC text; match it exactly.
    return pd.to_datetime(ms, unit="ms").strftime("%Y-%m-%d %H:%M:%S").tolist()


ANALYZE_AFTER_ROWS = 5_000


def _series_lock(symbol: Symbol, interval: str) -> str:
    """Lock the series' version row (creating it) for this transaction; its current stamp.
    Importers of one series queue here, so each knows the exact version it changes."""
    CandleSeries.objects.bulk_create(
        [CandleSeries(symbol=symbol, interval=interval, stamp="")], ignore_conflicts=True
    )
    return (
        CandleSeries.objects.select_for_update()
        .filter(symbol=symbol, interval=interval)
        .values_list("stamp", flat=True)
        .get()
    )


def _symbol_hold(symbol: Symbol) -> None:
    """Hold the symbol row until this transaction ends, as the per-row foreign-key check
    did (candles have no database-level foreign key, see ``Candle.symbol``): a concurrent
    deletion of the symbol waits (``signals.symbol_lock``), then deletes these candles
    too; one that committed first leaves no row to hold, and the import stops."""
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time: no deletion can interleave
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Symbol._meta.db_table} WHERE id = %s FOR KEY SHARE", [symbol.pk]
        )
        if cursor.fetchone() is None:
            raise ValidationError({"symbol": [f"{symbol.name} was deleted during the import"]})


def _series_changed(
    symbol: Symbol, interval: str, old_stamp: str, frame: pd.DataFrame, all_new: bool
) -> None:
    """The series' rows changed in this transaction: a new stamp in the same transaction
    (readers holding the old one keep reading the old file, which stays true for them), and
    after the commit, when the import only appended, the cached file extended in place of a
    cold rebuild. A rollback discards both."""
    stamp = new_stamp()
    CandleSeries.objects.filter(symbol=symbol, interval=interval).update(stamp=stamp)
    if not (old_stamp and all_new and frame.index.is_monotonic_increasing):
        # No file to extend: the old stamp's file is stale once this commits.
        transaction.on_commit(lambda: candlecache.drop(symbol.pk, interval, keep=stamp))
        return
    ms = frame.index.as_unit("ms").asi8.copy()
    values = {c: frame[c].to_numpy(dtype="float64", copy=True) for c in OHLCV}
    transaction.on_commit(
        lambda: candlecache.append_later(symbol.pk, interval, old_stamp, stamp, ms, values)
    )


# Rows per INSERT batch of a large import: progress is reported between batches.
INSERT_BATCH_ROWS = 100_000


def _bulk_insert(
    symbol: Symbol, interval: str, frame: pd.DataFrame, on_progress=None
) -> _InsertCounts:
    """Insert the frame's candles, skipping those already stored. Caller holds a transaction.
    ``on_progress(fraction)`` hears how far the write got (between batches)."""
    progress = on_progress or (lambda fraction: None)
    table = Candle._meta.db_table
    n = len(frame)
    if n == 0:
        return _InsertCounts(0, 0, 0)
    old_stamp = _series_lock(symbol, interval)
    _symbol_hold(symbol)
    ms = frame.index.as_unit("ms").asi8
    cols = [frame[c].to_numpy(dtype="float64") for c in OHLCV]
    # EXISTS keeps the temp table as the outer loop, so SQLite probes the candle index
    # per row instead of scanning the candle table for each temp row.
    conflict_sql = (
        f"SELECT COUNT(*) FROM tmp_candles t WHERE EXISTS (SELECT 1 FROM {table} c "
        'WHERE c.symbol_id = %s AND c."interval" = %s AND c.open_time = t.open_time '
        "AND (c.open <> t.open OR c.high <> t.high OR c.low <> t.low OR c.close <> t.close "
        "OR c.volume <> t.volume))"
    )

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE tmp_candles (open_time timestamptz, open float8, high float8, "
                "low float8, close float8, volume float8) ON COMMIT DROP"
            )
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(
                "COPY tmp_candles (open_time, open, high, low, close, volume) FROM STDIN WITH (FORMAT binary)"
            ) as copy:
                copy.write(pgbinary.encode_rows(ms, *cols))
            # Row counts for the planner (a temporary table has none until analysed).
            cursor.execute("ANALYZE tmp_candles")
            progress(0.1)
            cursor.execute(
                "SELECT pg_relation_size('tmp_candles') / current_setting('block_size')::int"
            )
            pages = cursor.fetchone()[0] + 1
            # The series is locked (``_series_lock``): what is stored in the file's range
            # now is what the insert meets. None (a new series, or new times only): no
            # probe per row. Some: one pass counts the rows already stored and those that
            # differ, and if that is all of them nothing is inserted (a 1M-row re-import
            # was 1M speculative inserts meeting their conflicts, then that pass again).
            first, last = (pd.Timestamp(int(x), unit="ms", tz="UTC") for x in (ms.min(), ms.max()))
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {table} WHERE symbol_id = %s "
                'AND "interval" = %s AND open_time BETWEEN %s AND %s)',
                [symbol.pk, interval, first.to_pydatetime(), last.to_pydatetime()],
            )
            overlap = cursor.fetchone()[0]
            present = conflicting = 0
            if overlap:
                cursor.execute(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE c.open <> t.open OR c.high <> t.high "
                    "OR c.low <> t.low OR c.close <> t.close OR c.volume <> t.volume) "
                    f"FROM tmp_candles t JOIN {table} c ON c.symbol_id = %s "
                    'AND c."interval" = %s AND c.open_time = t.open_time',
                    [symbol.pk, interval],
                )
                present, conflicting = cursor.fetchone()
            progress(0.15)
            batches = max(1, min(20, n // INSERT_BATCH_ROWS)) if present < n else 0
            edges = [pages * k // batches for k in range(batches)] + [pages + 1]
            new_only = (
                f"AND NOT EXISTS (SELECT 1 FROM {table} c WHERE c.symbol_id = %s "
                'AND c."interval" = %s AND c.open_time = t.open_time) '
                if overlap
                else ""
            )
            inserted = 0
            for k in range(batches):
                # A batch is a range of the temporary table's pages (a TID range scan, no
                # pass over the rows outside it). ON CONFLICT stays for a row another
                # writer (not an import: they queue on the series) stores meanwhile.
                cursor.execute(
                    f'INSERT INTO {table} (symbol_id, "interval", open_time, open, high, low, close, volume) '
                    "SELECT %s, %s, open_time, open, high, low, close, volume FROM tmp_candles t "
                    f"WHERE t.ctid >= %s::tid AND t.ctid < %s::tid {new_only}"
                    'ON CONFLICT (symbol_id, "interval", open_time) DO NOTHING',
                    [symbol.pk, interval, f"({edges[k]},0)", f"({edges[k + 1]},0)"]
                    + ([symbol.pk, interval] if overlap else []),
                )
                inserted += cursor.rowcount
                progress(0.15 + 0.8 * (k + 1) / batches)
            cursor.execute("DROP TABLE tmp_candles")
        else:
            cursor.execute(
                "CREATE TEMP TABLE tmp_candles (open_time text, open real, high real, low real, "
                "close real, volume real)"
            )
            times = _sqlite_time(ms)
            rows = list(zip(times, *(c.tolist() for c in cols), strict=True))
            raw = cursor.cursor
            for start in range(0, n, SQLITE_BATCH):
                raw.executemany(
                    "INSERT INTO tmp_candles VALUES (?, ?, ?, ?, ?, ?)",
                    rows[start : start + SQLITE_BATCH],
                )
                progress(0.5 * min(n, start + SQLITE_BATCH) / n)
            cursor.execute(
                f'INSERT INTO {table} (symbol_id, "interval", open_time, open, high, low, close, volume) '
                "SELECT %s, %s, open_time, open, high, low, close, volume FROM tmp_candles WHERE true "
                'ON CONFLICT (symbol_id, "interval", open_time) DO NOTHING',
                [symbol.pk, interval],
            )
            inserted = cursor.rowcount
            conflicting = _count_conflicts(cursor, conflict_sql, symbol, interval, inserted, n)
            cursor.execute("DROP TABLE tmp_candles")
    progress(1.0)
    if inserted:
        _series_changed(symbol, interval, old_stamp, frame, all_new=inserted == n)
    if inserted >= ANALYZE_AFTER_ROWS and connection.vendor == "postgresql":
        transaction.on_commit(_analyze_candles)
    return _InsertCounts(inserted=inserted, present=n - inserted, conflicting=conflicting)


def _count_conflicts(cursor, conflict_sql: str, symbol, interval: str, inserted: int, n: int):
    """Stored candles that differ from the file's at the same time. When every row was new
    there is nothing to compare (a fresh 1M-row import skips a 1M-row probe)."""
    if inserted == n:
        return 0
    cursor.execute(conflict_sql, [symbol.pk, interval])
    return cursor.fetchone()[0]


def _analyze_candles() -> None:
    """Refresh PostgreSQL's statistics after a large import. Without them the planner
    expects a handful of rows for the new series and reads it by bitmap scan and sort:
    loading 1M fresh candles took 2.5 s instead of 1.2 s until autovacuum caught up."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Candle._meta.db_table}")


def candles_store(*, symbol: Symbol, interval: str, frame: pd.DataFrame) -> _InsertCounts:
    """Store a validated candle frame (e.g. from the exchange) in one transaction."""
    with transaction.atomic():
        return _bulk_insert(symbol, interval, frame)


def candles_import(
    *,
    source: str | Path | bytes | BinaryIO,
    symbol: str,
    interval: str | None = None,
    user=None,
    filename: str = "",
    source_kind: str = CandleImport.Source.FILE,
    exchange: str | None = None,
    asset_class: str | None = None,
) -> CandleImport:
    """Import a candle file for ``symbol`` in the caller (the command, the demo loader, the
    exchange sync); returns the import record, stored once finished.

    A rejected file (unreadable, or any invalid row) stores nothing and returns a
    record with status ``rejected``; the caller turns that into its own error (an
    exit code, a 400). Symbol and interval are validated first (ValidationError).
    """
    symbol_name = symbol_name_clean(symbol)
    interval = interval_clean(interval)
    started = time.perf_counter()
    if isinstance(source, str | Path):
        filename = filename or Path(source).name
        with open(source, "rb") as fh:
            raw = fh.read()
    elif isinstance(source, bytes | bytearray):
        raw = bytes(source)
    else:
        raw = source.read()
    record = CandleImport(
        user=user if getattr(user, "is_authenticated", False) else None,
        symbol_name=symbol_name,
        interval=interval or "",
        source=source_kind,
        filename=filename[:255],
    )

    def save(record: CandleImport) -> bool:
        record.progress, record.finished_at = 100.0, timezone.now()
        record.save()
        return True

    return _import_run(
        record,
        raw,
        started=started,
        exchange=exchange,
        asset_class=asset_class,
        save=save,
    )


def _import_run(
    record: CandleImport,
    raw: bytes,
    *,
    started: float,
    save,
    exchange: str | None = None,
    asset_class: str | None = None,
    on_progress=None,
) -> CandleImport:
    """Read, check and store ``raw`` for ``record`` (symbol and interval already clean).
    ``save(record) -> bool`` stores the finished record (in the import's transaction when
    rows were stored: False rolls them back); ``on_progress(fraction, stage)`` hears how far
    it got. Rejected: nothing stored. An exception: nothing stored either."""
    progress = on_progress or (lambda fraction, stage: None)
    symbol_name = record.symbol_name
    record.file_size = len(raw)
    record.sha256 = hashlib.sha256(raw).hexdigest()
    progress(0.02, "reading")

    known_class = (
        Symbol.objects.filter(name=symbol_name).values_list("asset_class", flat=True).first()
    )
    klass = known_class or asset_class or _split_pair(symbol_name)[2]
    filename = record.filename
    try:
        parsed: CandleFile = read_candles(
            raw,
            interval=record.interval or None,
            name=filename,
            weekdays_only=klass in WEEKDAY_ASSET_CLASSES,
            limits=upload_limits(),
        )
    except CandleFileError as exc:
        record.status = CandleImport.Status.REJECTED
        record.error = str(exc)
        record.duration_ms = int((time.perf_counter() - started) * 1000)
        save(record)
        logger.warning("import of %s for %s rejected: %s", filename or "data", symbol_name, exc)
        return record

    record.interval = parsed.interval
    record.layout = parsed.layout
    record.timestamp_units = ",".join(parsed.timestamp_units)
    record.rows_total = parsed.rows_total
    record.rows_rejected = parsed.rejected_count
    record.rows_duplicate_in_file = parsed.duplicates_in_file
    record.rejections = [{"line": r.line, "reason": r.reason} for r in parsed.rejected]
    record.gaps = [g.to_dict() for g in parsed.gaps[:50]]
    record.gap_count = len(parsed.gaps)
    if len(parsed.frame):
        record.first_time = parsed.frame.index[0].to_pydatetime()
        record.last_time = parsed.frame.index[-1].to_pydatetime()

    if not parsed.ok:
        record.status = CandleImport.Status.REJECTED
        first = parsed.rejected[0]
        record.error = (
            f"{parsed.rejected_count} row(s) rejected, nothing was imported; first: "
            f"line {first.line}: {first.reason}"
        )
        record.duration_ms = int((time.perf_counter() - started) * 1000)
        save(record)
        logger.warning(
            "import of %s for %s rejected: %s", filename or "data", symbol_name, record.error
        )
        return record

    progress(READ_SHARE, "storing")
    with transaction.atomic():
        sym = symbol_get_or_create(name=symbol_name, exchange=exchange, asset_class=asset_class)
        counts = _bulk_insert(
            sym,
            parsed.interval,
            parsed.frame,
            on_progress=lambda f: progress(READ_SHARE + (1 - READ_SHARE) * f, "storing"),
        )
        record.symbol = sym
        record.rows_inserted = counts.inserted
        record.rows_present = counts.present
        record.rows_conflicting = counts.conflicting
        record.status = CandleImport.Status.SUCCEEDED
        record.duration_ms = int((time.perf_counter() - started) * 1000)
        if not save(record):
            transaction.set_rollback(True)
            logger.info("import %s was cancelled or taken over; nothing stored", record.pk)
            return record
    logger.info(
        "imported %s %s from %s: %d inserted, %d already present, %d gaps",
        symbol_name,
        parsed.interval,
        filename or "data",
        counts.inserted,
        counts.present,
        record.gap_count,
    )
    return record


# The share of an import's progress that reading and checking the file stands for (about
# a third of a 1M-row import's time on PostgreSQL); storing the rows is the rest.
READ_SHARE = 0.3


# ---------------------------------------------------------------- uploads as jobs


def import_dir() -> Path:
    return Path(settings.MARKETDATA_IMPORT_DIR)


def candle_import_create(
    *,
    upload,
    symbol: str,
    interval: str | None = None,
    user=None,
    source_kind: str = CandleImport.Source.UPLOAD,
) -> CandleImport:
    """Store an uploaded candle file and queue its import (a job: ``candle_import_execute``).
    A file of at most MARKETDATA_IMPORT_INLINE_MAX_BYTES is imported before this returns
    (the same job, run in the caller: a small file is done sooner than a page could poll
    it); a larger one is imported by a worker, and its row reports the progress. The
    uploaded file is moved (or, held in memory, written) under MARKETDATA_IMPORT_DIR and
    removed when the import ends."""
    symbol_name = symbol_name_clean(symbol)
    interval = interval_clean(interval)
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        shutil.move(temporary(), path)
    else:
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
    try:
        record = CandleImport.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            symbol_name=symbol_name,
            interval=interval or "",
            source=source_kind,
            filename=(upload.name or "")[:255],
            file_size=upload.size,
            upload_path=str(path),
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if upload.size <= settings.MARKETDATA_IMPORT_INLINE_MAX_BYTES:
        # The job itself (claimed, fenced, finished as a worker would), run here at once:
        # nobody can poll a request that has not answered, so no progress is written.
        job_execute(CandleImport, record.pk, _import_inline)
    else:
        job_enqueue(record)
    record.refresh_from_db()
    return record


def candle_import_execute(pk: int) -> str:
    outcome = job_execute(CandleImport, pk, _import_body)
    if outcome == "skipped":
        # Not claimed: cancelled (or finished) before a worker got to it; its upload goes.
        ended = CandleImport.objects.filter(pk=pk).exclude(status__in=ACTIVE).first()
        if ended is not None and ended.upload_path:
            Path(ended.upload_path).unlink(missing_ok=True)
            CandleImport.objects.filter(pk=pk).update(upload_path="")
    return outcome


def _import_inline(record: CandleImport, ctx: JobContext) -> None:
    _import_body(record, ctx, progress=False)


def _import_body(record: CandleImport, ctx: JobContext, *, progress: bool = True) -> None:
    """Import the stored upload of a claimed row. Progress is written by a thread of its
    own (``_ProgressWriter``): the rows are stored in one transaction, and a write on this
    connection would stay invisible until it commits. The finished row is written only if
    this attempt still runs it (fenced, like every job's result): an import cancelled
    meanwhile rolls its rows back."""
    started = time.perf_counter()
    if not record.upload_path:
        raise ValueError("the uploaded file is gone; upload it again")
    path = Path(record.upload_path)
    try:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ValueError("the uploaded file is gone; upload it again") from None
        with _ProgressWriter(ctx, enabled=progress) as writer:

            def save(record: CandleImport) -> bool:
                fields = {
                    f.attname: getattr(record, f.attname)
                    for f in CandleImport._meta.concrete_fields
                    if f.attname in _IMPORT_RESULT_FIELDS
                }
                return bool(
                    ctx.running().update(
                        **fields,
                        stage="",
                        upload_path="",
                        progress=100.0,
                        finished_at=timezone.now(),
                    )
                )

            _import_run(record, raw, started=started, save=save, on_progress=writer.report)
    finally:
        # Ended (stored, rejected, failed or cancelled): the upload is no longer needed. A
        # worker that dies keeps it for the attempt the reaper queues.
        path.unlink(missing_ok=True)


# What a finished import writes to its row (the rest is the job's own bookkeeping).
_IMPORT_RESULT_FIELDS = frozenset(
    {
        "status",
        "error",
        "symbol_id",
        "interval",
        "file_size",
        "sha256",
        "layout",
        "timestamp_units",
        "rows_total",
        "rows_inserted",
        "rows_present",
        "rows_conflicting",
        "rows_rejected",
        "rows_duplicate_in_file",
        "rejections",
        "gaps",
        "gap_count",
        "first_time",
        "last_time",
        "duration_ms",
    }
)


class _ProgressWriter:
    """Writes a running import's progress and stage from its own thread (so its own
    database connection, committed at once) at most every PROGRESS_SECONDS, and only while
    the attempt runs the row. ``enabled=False``: reports are dropped."""

    PROGRESS_SECONDS = 0.5

    def __init__(self, ctx: JobContext, *, enabled: bool = True):
        self.ctx, self.enabled = ctx, enabled
        self.latest: tuple[float, str] | None = None
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"import-{ctx.pk}")

    def __enter__(self) -> _ProgressWriter:
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.stop.set()
            self.wake.set()
            self.thread.join(timeout=30)

    def report(self, fraction: float, stage: str) -> None:
        self.latest = (round(max(0.0, min(1.0, fraction)) * 100, 1), stage)
        self.wake.set()

    def _run(self) -> None:
        from django.db import connection as own

        written = None
        try:
            while not self.stop.is_set():
                self.wake.wait()
                self.wake.clear()
                latest = self.latest
                if latest is not None and latest != written and not self.stop.is_set():
                    progress, stage = latest
                    # Only while this attempt runs it: a finished row is never written back.
                    self.ctx.running().update(
                        progress=progress, stage=stage, heartbeat_at=timezone.now()
                    )
                    written = latest
                self.stop.wait(self.PROGRESS_SECONDS)
        except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on
            logger.exception("import %s: progress not written", self.ctx.pk)
        finally:
            own.close()


def import_report(record: CandleImport) -> dict:
    """The report every interface prints or returns for an import."""
    return {
        "id": record.pk,
        "url": reverse("api:marketdata:import", args=[record.pk]) if record.pk else None,
        "status": record.status,
        "progress": record.progress,
        "stage": record.stage or None,
        "error": record.error or None,
        "symbol": record.symbol_name,
        "interval": record.interval or None,
        "filename": record.filename,
        "file_size": record.file_size,
        "sha256": record.sha256,
        "layout": record.layout or None,
        "timestamp_units": [u for u in record.timestamp_units.split(",") if u],
        "rows_total": record.rows_total,
        "rows_inserted": record.rows_inserted,
        "rows_present": record.rows_present,
        "rows_conflicting": record.rows_conflicting,
        "rows_rejected": record.rows_rejected,
        "rows_duplicate_in_file": record.rows_duplicate_in_file,
        "rejections": record.rejections,
        "gap_count": record.gap_count,
        "gaps": record.gaps,
        "first_time": _iso(record.first_time),
        "last_time": _iso(record.last_time),
        "duration_ms": record.duration_ms,
        "created_at": _iso(record.created_at),
        "started_at": _iso(record.started_at),
        "finished_at": _iso(record.finished_at),
    }


def _iso(moment) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
