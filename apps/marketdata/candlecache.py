"""The candle cache: each (symbol, interval) series as one ``.npy`` file beside the rows.

The database stays the truth. A series' ``CandleSeries.stamp`` changes in the same
transaction as any change to its candles; a file is named by the stamp of the rows it
holds (``<symbol_id>_<interval>_<stamp>.npy``, a 6 x n float64 array: open time in epoch
ms, then open, high, low, close, volume), so a reader that reads the stamp and then opens
the file it names gets the series as it was committed with that stamp: before or after any
import, never a mix. Files are written to a temporary name and moved into place with
``os.replace``, so a crash or a concurrent reader never meets a partial file, and a file
that is missing or unreadable is simply rebuilt from the database by the next reader.

Files are written by a background thread (``store_later``, ``append_later``), so neither the
reader that missed nor the importer waits for the disk: a cold read costs what it cost
before the cache existed.

``MARKETDATA_CANDLE_CACHE_DIR`` (default ``STORAGE_DIR/candle-cache``; empty turns the
cache off) says where the files live.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from engine.marketdata import OHLCV

from .models import CandleSeries

logger = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    value = getattr(settings, "MARKETDATA_CANDLE_CACHE_DIR", None)
    return Path(value) if value else None


def series_stamp(symbol_id: int, interval: str) -> str:
    """The series' current stamp, "" when it has none (then it is not cached)."""
    return (
        CandleSeries.objects.filter(symbol_id=symbol_id, interval=interval)
        .values_list("stamp", flat=True)
        .first()
        or ""
    )


def series_by_name(symbol_name: str, interval: str) -> tuple[int, str] | None:
    """(symbol id, current stamp) of the series of the symbol named ``symbol_name`` in one
    query; None when the series has no version row."""
    return (
        CandleSeries.objects.filter(symbol__name=symbol_name, interval=interval)
        .values_list("symbol_id", "stamp")
        .first()
    )


def _path(root: Path, symbol_id: int, interval: str, stamp: str) -> Path:
    return root / f"{int(symbol_id)}_{interval}_{stamp}.npy"


def load(symbol_id: int, interval: str, stamp: str, root: Path | None = None) -> np.ndarray | None:
    """The cached 6 x n array of the series at ``stamp`` (memory-mapped, read-only), or None."""
    root = root or cache_dir()
    if root is None or not stamp:
        return None
    try:
        arr = np.load(_path(root, symbol_id, interval, stamp), mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None  # missing (not built yet, or replaced) or unreadable: read the database
    if arr.ndim != 2 or arr.shape[0] != 6 or arr.dtype != np.float64:
        return None
    return arr


def store(
    symbol_id: int,
    interval: str,
    stamp: str,
    ms: np.ndarray,
    values: dict,
    root: Path | None = None,
) -> None:
    """File the whole series read at ``stamp``; drop the files of its older stamps. Never
    raises: the cache is an optimisation and the caller already has its rows."""
    root = root or cache_dir()
    if root is None or not stamp:
        return
    arr = np.empty((6, len(ms)), dtype=np.float64)
    arr[0] = ms
    for i, col in enumerate(OHLCV, start=1):
        arr[i] = values[col]
    target = _path(root, symbol_id, interval, stamp)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".npy")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in root.glob(f"{int(symbol_id)}_{interval}_*.npy"):
            if old != target:
                old.unlink(missing_ok=True)  # a reader holding it open keeps its mapping
    except OSError as exc:
        logger.warning("candle cache: could not write %s: %s", target.name, exc)


def append(
    symbol_id: int,
    interval: str,
    old_stamp: str,
    new_stamp: str,
    ms: np.ndarray,
    values: dict,
    root: Path | None = None,
) -> bool:
    """After an import that added only candles later than the cached series at
    ``old_stamp``, file old + new under ``new_stamp`` instead of waiting for a cold rebuild.
    Called after the commit; False (and nothing written) when it does not apply."""
    old = load(symbol_id, interval, old_stamp, root)
    if old is None or len(ms) == 0:
        return False
    if old.shape[1] and ms[0] <= old[0, -1]:
        return False
    joined_ms = np.concatenate([old[0], ms.astype(np.float64)])
    joined = {col: np.concatenate([old[i], values[col]]) for i, col in enumerate(OHLCV, start=1)}
    store(symbol_id, interval, new_stamp, joined_ms, joined, root)
    return True


def drop(
    symbol_id: int, interval: str | None = None, *, keep: str = "", root: Path | None = None
) -> int:
    """Remove the cached files of a symbol (of one interval, or all), except the file of
    stamp ``keep``: after the series or the symbol is deleted, or its stamp moved on
    without a file to replace it. Called after the commit; never raises. How many went."""
    root = root or cache_dir()
    if root is None or not root.is_dir():
        return 0
    pattern = f"{int(symbol_id)}_{interval}_*.npy" if interval else f"{int(symbol_id)}_*.npy"
    removed = 0
    for path in root.glob(pattern):
        if keep and path.name == f"{int(symbol_id)}_{interval}_{keep}.npy":
            continue
        try:
            path.unlink(missing_ok=True)  # a reader holding it open keeps its mapping
            removed += 1
        except OSError as exc:
            logger.warning("candle cache: could not remove %s: %s", path.name, exc)
    return removed


# A temporary file older than this is left by a writer that died; younger ones may still
# be being written.
TMP_STALE_SECONDS = 3600


def sweep(root: Path | None = None) -> dict[str, int]:
    """Remove every file that no current series stamp names (series or symbols deleted,
    stamps moved on while the process that would have removed the file was gone) and
    temporary files left by dead writers. For the ``candle_cache_sweep`` command. A file
    written for a stamp committed after the stamps were read may go too: its next reader
    rebuilds it (a miss, never a stale series)."""
    root = root or cache_dir()
    out = {"kept": 0, "removed": 0, "tmp_removed": 0}
    if root is None or not root.is_dir():
        return out
    current = {
        f"{s}_{i}_{stamp}.npy"
        for s, i, stamp in CandleSeries.objects.exclude(stamp="").values_list(
            "symbol_id", "interval", "stamp"
        )
    }
    now = time.time()
    for path in root.iterdir():
        name = path.name
        try:
            if name.startswith(".tmp-"):
                if now - path.stat().st_mtime > TMP_STALE_SECONDS:
                    path.unlink(missing_ok=True)
                    out["tmp_removed"] += 1
            elif name.endswith(".npy"):
                if name in current:
                    out["kept"] += 1
                else:
                    path.unlink(missing_ok=True)
                    out["removed"] += 1
        except OSError as exc:
            logger.warning("candle cache: could not remove %s: %s", name, exc)
    return out


_pending: dict[tuple, threading.Thread] = {}
_pending_lock = threading.Lock()


def _later(key: tuple, target, *args) -> None:
    """Run ``target(*args)`` in a daemon thread, once per key at a time."""
    with _pending_lock:
        # finished writers go, so a long-lived process keeps no thread per past import
        for done in [k for k, t in _pending.items() if not t.is_alive()]:
            del _pending[done]
        running = _pending.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=target, args=args, name="candle-cache", daemon=True)
        _pending[key] = thread
    thread.start()


def store_later(symbol_id: int, interval: str, stamp: str, ms: np.ndarray, values: dict) -> None:
    """``store`` in the background (the caller must not change the arrays afterwards)."""
    root = cache_dir()
    if root is None or not stamp:
        return
    _later((symbol_id, interval, stamp), store, symbol_id, interval, stamp, ms, values, root)


def append_later(
    symbol_id: int, interval: str, old_stamp: str, new_stamp: str, ms: np.ndarray, values: dict
) -> None:
    """``append`` in the background."""
    root = cache_dir()
    if root is None:
        return
    key = (symbol_id, interval, new_stamp)
    _later(key, append, symbol_id, interval, old_stamp, new_stamp, ms, values, root)


def flush(timeout: float | None = 30) -> None:
    """Wait for the background writes started so far (tests, benchmarks, shutdown)."""
    with _pending_lock:
        threads = list(_pending.values())
        _pending.clear()
    for thread in threads:
        thread.join(timeout)
