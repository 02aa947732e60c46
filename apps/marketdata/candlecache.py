"""The candle cache: each (symbol, interval) series as one ``.npy`` file beside the rows.

The database stays the truth. A series' ``CandleSeries.stamp`` changes in the same
transaction as any change to its candles; a file is named by the stamp of the rows it
holds (``<symbol_id>_<interval>_<stamp>.npy``, a 6 x n float64 array: open time in epoch
ms, then open, high, low, close, volume), so a reader that reads the stamp and then opens
the file it names gets the series as it was committed with that stamp: before or after any
import, never a mix. Files are written to a temporary name and moved into place with
``os.replace``, so a crash or a concurrent reader never meets a partial file, and a file
that is missing or unreadable is simply rebuilt from the database by the next reader.

``MARKETDATA_CANDLE_CACHE_DIR`` (default ``STORAGE_DIR/candle-cache``; empty turns the
cache off) says where the files live.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings

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


def _path(root: Path, symbol_id: int, interval: str, stamp: str) -> Path:
    return root / f"{int(symbol_id)}_{interval}_{stamp}.npy"


def load(symbol_id: int, interval: str, stamp: str) -> np.ndarray | None:
    """The cached 6 x n array of the series at ``stamp`` (memory-mapped, read-only), or None."""
    root = cache_dir()
    if root is None or not stamp:
        return None
    try:
        arr = np.load(_path(root, symbol_id, interval, stamp), mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None  # missing (not built yet, or replaced) or unreadable: read the database
    if arr.ndim != 2 or arr.shape[0] != 6 or arr.dtype != np.float64:
        return None
    return arr


def store(symbol_id: int, interval: str, stamp: str, ms: np.ndarray, values: dict) -> None:
    """File the whole series read at ``stamp``; drop the files of its older stamps. Never
    raises: the cache is an optimisation and the caller already has its rows."""
    root = cache_dir()
    if root is None or not stamp:
        return
    arr = np.empty((6, len(ms)), dtype=np.float64)
    arr[0] = ms
    for i, col in enumerate(("open", "high", "low", "close", "volume"), start=1):
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
    symbol_id: int, interval: str, old_stamp: str, new_stamp: str, ms: np.ndarray, values: dict
) -> bool:
    """After an import that added only candles later than the cached series at
    ``old_stamp``, file old + new under ``new_stamp`` instead of waiting for a cold rebuild.
    Called after the commit; False (and nothing written) when it does not apply."""
    old = load(symbol_id, interval, old_stamp)
    if old is None or len(ms) == 0:
        return False
    if old.shape[1] and ms[0] <= old[0, -1]:
        return False
    joined_ms = np.concatenate([old[0], ms.astype(np.float64)])
    joined = {
        col: np.concatenate([old[i], values[col]])
        for i, col in enumerate(("open", "high", "low", "close", "volume"), start=1)
    }
    store(symbol_id, interval, new_stamp, joined_ms, joined)
    return True
