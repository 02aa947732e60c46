"""The candle cache never serves a stale or partial series (issue 15): import, read, import
more, read; a rejected or rolled-back import leaves it as it was; a deleted file is rebuilt;
ORM writes move the stamp too; cached slices are the database's slices; and (PostgreSQL)
readers racing an importer see the old or the new series, never a mix."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.db import connection, transaction
from django.test import override_settings

from apps.marketdata import candlecache
from apps.marketdata.models import Candle, CandleSeries, Symbol
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import candles_import, candles_store
from apps.marketdata.tests.factories import CandleFactory

pytestmark = pytest.mark.django_db(transaction=True)

HOUR_MS = 3_600_000
T0_MS = 1_700_000_000_000 // HOUR_MS * HOUR_MS
TOTAL = 600


def _series(total: int = TOTAL) -> pd.DataFrame:
    """A valid 1h series; row i is fully determined by i, so any slice can be checked."""
    i = np.arange(total, dtype="float64")
    close = 100.0 + np.sin(i / 7.0) * 5 + i * 0.01
    open_ = np.r_[100.0, close[:-1]]
    index = pd.DatetimeIndex(
        pd.to_datetime(T0_MS + np.arange(total) * HOUR_MS, unit="ms", utc=True), name="open_time"
    )
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 1,
            "low": np.minimum(open_, close) - 1,
            "close": close,
            "volume": 10.0 + i,
        },
        index=index,
    )


SERIES = _series()


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, settings):
    settings.MARKETDATA_CANDLE_CACHE_DIR = str(tmp_path / "candle-cache")
    yield
    candlecache.flush()


def _csv(frame: pd.DataFrame) -> bytes:
    ms = frame.index.as_unit("ms").asi8
    lines = ["timestamp,open,high,low,close,volume"]
    for t, o, h, lo, c, v in zip(ms, *(frame[k] for k in frame.columns), strict=True):
        lines.append(f"{t},{o!r},{h!r},{lo!r},{c!r},{v!r}")
    return ("\n".join(lines) + "\n").encode()


def _import(frame: pd.DataFrame, symbol: str = "CACHEUSDT"):
    record = candles_import(source=_csv(frame), symbol=symbol, interval="1h", filename="t.csv")
    assert record.status == "succeeded", record.error
    return record


def _read(**kw) -> pd.DataFrame:
    return candles_frame(symbol="CACHEUSDT", interval="1h", **kw)


def _files() -> list[Path]:
    candlecache.flush()  # the files are written in the background
    return sorted(candlecache.cache_dir().glob("*_1h_*.npy"))


def _stamp() -> str:
    return CandleSeries.objects.get(symbol__name="CACHEUSDT", interval="1h").stamp


def _assert_rows(frame: pd.DataFrame, rows: slice | np.ndarray) -> None:
    pd.testing.assert_frame_equal(frame, SERIES.iloc[rows], check_freq=False)


def test_import_read_import_more_read_sees_the_new_rows():
    _import(SERIES.iloc[:300])
    _assert_rows(_read(), slice(0, 300))
    assert len(_files()) == 1 and _stamp() in _files()[0].name  # filed under its stamp
    _import(SERIES.iloc[300:450])  # appended after the commit, no cold rebuild needed
    assert len(_files()) == 1 and _stamp() in _files()[0].name
    _assert_rows(_read(), slice(0, 450))
    _import(SERIES.iloc[100:500])  # overlaps: the file is rebuilt from the database
    _assert_rows(_read(), slice(0, 500))
    _assert_rows(_read(start=SERIES.index[480]), slice(480, 500))


def test_an_import_that_adds_nothing_keeps_the_stamp_and_the_file():
    _import(SERIES.iloc[:200])
    _read()
    stamp, files = _stamp(), _files()
    _import(SERIES.iloc[50:150])
    assert _stamp() == stamp and _files() == files


def test_a_rejected_import_leaves_the_cache_unchanged():
    _import(SERIES.iloc[:200])
    before = _read()
    stamp, files = _stamp(), _files()
    content = files[0].read_bytes()
    bad = SERIES.iloc[200:260].copy()
    bad.iloc[30, bad.columns.get_loc("high")] = -1.0  # one invalid row rejects the file
    record = candles_import(source=_csv(bad), symbol="CACHEUSDT", interval="1h", filename="b.csv")
    assert record.status == "rejected"
    assert _stamp() == stamp and _files() == files and files[0].read_bytes() == content
    pd.testing.assert_frame_equal(_read(), before)


def test_a_rolled_back_store_leaves_the_cache_unchanged():
    _import(SERIES.iloc[:200])
    _read()
    stamp, files = _stamp(), _files()
    symbol = Symbol.objects.get(name="CACHEUSDT")
    with pytest.raises(RuntimeError), transaction.atomic():
        candles_store(symbol=symbol, interval="1h", frame=SERIES.iloc[200:300])
        raise RuntimeError("the sync failed after storing a page")
    assert _stamp() == stamp and _files() == files
    _assert_rows(_read(), slice(0, 200))


def test_a_deleted_or_damaged_cache_file_is_rebuilt_from_the_database():
    _import(SERIES.iloc[:250])
    _read()
    for path in _files():
        path.unlink()
    _assert_rows(_read(), slice(0, 250))
    assert len(_files()) == 1
    _files()[0].write_bytes(b"not a numpy file")
    _assert_rows(_read(), slice(0, 250))  # unreadable: read from the database


def test_orm_writes_move_the_stamp_so_the_cache_is_not_served():
    _import(SERIES.iloc[:100])
    _read()
    symbol = Symbol.objects.get(name="CACHEUSDT")
    stamp = _stamp()
    CandleFactory(symbol=symbol, open_time=SERIES.index[100].to_pydatetime())
    assert _stamp() != stamp
    assert len(_read()) == 101
    stamp = _stamp()
    Candle.objects.filter(symbol=symbol, open_time__gte=SERIES.index[50]).delete()
    assert _stamp() != stamp
    _assert_rows(_read(), slice(0, 50))
    stamp = _stamp()
    Candle.objects.filter(symbol=symbol).update(volume=1.0)
    assert _stamp() != stamp and (_read()["volume"] == 1.0).all()


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"last": 7},
        {"last": 10_000},
        {"start": datetime(2023, 11, 20, tzinfo=UTC)},
        {"end": datetime(2023, 11, 20, 5, tzinfo=UTC), "last": 3},
        {"start": SERIES.index[10], "end": SERIES.index[20]},
        {"start": SERIES.index[10].to_pydatetime().replace(tzinfo=None)},  # naive = UTC
        {"start": SERIES.index[10] + timedelta(microseconds=500)},
        {"end": SERIES.index[20] + timedelta(seconds=1, microseconds=1)},
        {"start": SERIES.index[20], "end": SERIES.index[10]},
        {"start": SERIES.index[-1] + timedelta(hours=5)},
    ],
)
def test_a_cached_slice_is_the_database_slice(kw):
    _import(SERIES)
    with override_settings(MARKETDATA_CANDLE_CACHE_DIR=""):
        expected = _read(**kw)
    _read()  # builds the file
    assert _files()
    cached = _read(**kw)
    pd.testing.assert_frame_equal(cached, expected)
    assert cached.index.dtype == expected.index.dtype
    # The caller owns what it gets: writing to it never reaches the cache.
    if len(cached):
        cached.iloc[0, 0] = -5.0
        assert _read(**kw).iloc[0, 0] != -5.0


def test_an_unknown_series_is_empty_and_not_filed():
    assert _read().empty and not _files()
    _import(SERIES.iloc[:10])
    assert candles_frame(symbol="CACHEUSDT", interval="4h").empty


@pytest.mark.services
def test_readers_racing_imports_see_the_old_or_the_new_series_never_a_mix():
    """PostgreSQL: two reader threads load the series over and over while a third thread
    appends batches, fills the start (a rebuild, not an append) and sends a bad file. Every
    frame read must be one of the committed states, row for row."""
    assert connection.vendor == "postgresql"
    _import(SERIES.iloc[100:300])
    _read()
    steps = [(300 + 50 * k, 350 + 50 * k) for k in range(5)] + [(0, 100)]
    states = {tuple(range(100, 300))}
    acc = list(range(100, 300))
    for a, b in steps:
        acc = sorted(set(acc) | set(range(a, b)))
        states.add(tuple(acc))
    done = threading.Event()
    seen: list[tuple[int, ...]] = []
    errors: list[BaseException] = []

    def reader():
        try:
            while not done.is_set():
                frame = _read()
                rows = tuple(((frame.index.as_unit("ms").asi8 - T0_MS) // HOUR_MS).tolist())
                assert rows in states, f"a mixed series of {len(rows)} rows"
                _assert_rows(frame, np.array(rows))
                seen.append(rows)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def importer():
        try:
            for a, b in steps:
                _import(SERIES.iloc[a:b])
                bad = SERIES.iloc[b : b + 20].copy()
                bad.iloc[5, 0] = float("nan")
                rejected = candles_import(
                    source=_csv(bad), symbol="CACHEUSDT", interval="1h", filename="bad.csv"
                )
                assert rejected.status == "rejected"
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=importer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    assert len(set(seen)) >= 2  # the readers did see the series change under them
    _assert_rows(_read(), slice(0, 550))
    assert candlecache.series_stamp(_read_symbol_id(), "1h") in _files()[0].name


def _read_symbol_id() -> int:
    return Symbol.objects.get(name="CACHEUSDT").pk


def _import_two_intervals() -> tuple[Symbol, list[Path]]:
    _import(SERIES.iloc[:100])
    four = SERIES.iloc[:100][SERIES.index[:100].as_unit("ms").asi8 % (4 * HOUR_MS) == 0]
    record = candles_import(source=_csv(four), symbol="CACHEUSDT", interval="4h", filename="f.csv")
    assert record.status == "succeeded", record.error
    _read()
    candles_frame(symbol="CACHEUSDT", interval="4h")
    other = _import(SERIES.iloc[:50], symbol="OTHERUSDT")
    candles_frame(symbol="OTHERUSDT", interval="1h")
    candlecache.flush()
    files = sorted(candlecache.cache_dir().glob("*.npy"))
    assert len(files) == 3, files
    return Symbol.objects.get(name="CACHEUSDT"), [
        f for f in files if f.name.startswith(f"{other.symbol_id}_")
    ]


def test_deleting_a_symbol_removes_its_cached_files_and_no_others():
    symbol, others = _import_two_intervals()
    symbol.delete()
    assert not Candle.objects.filter(symbol_id=symbol.pk).exists()
    assert sorted(candlecache.cache_dir().glob("*.npy")) == others
    assert _read().empty


def test_deleting_a_series_removes_its_file_only():
    symbol, others = _import_two_intervals()
    CandleSeries.objects.filter(symbol=symbol, interval="4h").delete()
    left = sorted(p.name for p in candlecache.cache_dir().glob("*.npy"))
    assert [n for n in left if n.startswith(f"{symbol.pk}_")] == [_files()[0].name]
    assert all(p.name in left for p in others)


def test_deleting_a_series_candles_removes_its_stale_file():
    _import(SERIES.iloc[:100])
    _read()
    assert len(_files()) == 1
    Candle.objects.filter(symbol__name="CACHEUSDT", interval="1h").delete()
    assert _files() == [] and _read().empty


def test_an_overlapping_import_removes_the_file_it_made_stale():
    _import(SERIES.iloc[:100])
    _read()
    old = _files()
    _import(SERIES.iloc[50:150])  # not an append: nothing extends the old file
    assert old and not any(p.exists() for p in old)
    _assert_rows(_read(), slice(0, 150))


def test_the_sweep_command_removes_orphans_and_keeps_current_files(tmp_path):
    import os
    import time
    from io import StringIO

    from django.core.management import call_command

    _import(SERIES.iloc[:100])
    _read()
    current = _files()
    root = candlecache.cache_dir()
    orphans = [root / "999_1h_deadbeef.npy", root / f"{current[0].name.split('_')[0]}_1h_old.npy"]
    for path in orphans:
        path.write_bytes(current[0].read_bytes())
    stale_tmp, fresh_tmp = root / ".tmp-stale.npy", root / ".tmp-fresh.npy"
    stale_tmp.write_bytes(b"x")
    fresh_tmp.write_bytes(b"x")
    old = time.time() - candlecache.TMP_STALE_SECONDS - 60
    os.utime(stale_tmp, (old, old))
    out = StringIO()
    call_command("candle_cache_sweep", stdout=out)
    assert "kept 1, removed 2 stale file(s) and 1 temporary file(s)" in out.getvalue()
    assert all(p.exists() for p in current) and fresh_tmp.exists()
    assert not any(p.exists() for p in [*orphans, stale_tmp])
    _assert_rows(_read(), slice(0, 100))
