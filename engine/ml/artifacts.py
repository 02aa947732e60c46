"""Saving and loading model artifacts with integrity checks.

An artifact is a joblib file holding the fitted estimator, its feature list and
metadata. Loading verifies the file's sha256 *before* unpickling it (unpickling runs
code, so a tampered file must never reach joblib) and then the feature list; either
mismatch is refused with a clear error.

Loaded models are kept in a small per-process cache keyed by the file's identity (path,
inode, size, modification time) and the expected hash and features: an agent evaluated
on every request does not unpickle its model each time, and a file changed on disk is
checked again from scratch.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from .features import build_features, latest_features

FORMAT = "tradingsite-model/1"
CACHE_SIZE = 32
_cache: OrderedDict[tuple, Any] = OrderedDict()
_cache_lock = threading.Lock()


class ModelIntegrityError(RuntimeError):
    """The artifact is missing, altered, or does not match what the registry recorded."""


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(
    path: str | Path, model: Any, *, features: tuple[str, ...], meta: dict[str, Any]
) -> str:
    """Write atomically (temp file + rename) and return the file's sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(
            {"format": FORMAT, "model": model, "features": list(features), "meta": meta},
            tmp,
            compress=3,
        )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return file_sha256(path)


def load_model(path: str | Path, *, sha256: str, features: tuple[str, ...] | list[str]) -> Any:
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise ModelIntegrityError(f"the model file {path.name} is missing")
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, sha256, tuple(features))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    model = _load_checked(path, sha256=sha256, features=features)
    with _cache_lock:
        _cache[key] = model
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return model


def _load_checked(path: Path, *, sha256: str, features: tuple[str, ...] | list[str]) -> Any:
    actual = file_sha256(path)
    if actual != sha256:
        raise ModelIntegrityError(
            f"the model file {path.name} has changed since training (sha256 {actual[:12]}… != {sha256[:12]}…); refusing to load it"
        )
    try:
        payload = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable artifact is an integrity failure
        raise ModelIntegrityError(
            f"the model file {path.name} cannot be read: {type(exc).__name__}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelIntegrityError(f"the model file {path.name} is not a tradingsite model")
    if list(payload["features"]) != list(features):
        raise ModelIntegrityError(
            f"the model was trained on features {payload['features']} but {list(features)} were expected"
        )
    return payload["model"]


def predict_proba_up_series(model: Any, candles: pd.DataFrame) -> np.ndarray:
    """P(the next bar closes higher) for every bar, NaN where a feature is undefined. The
    features of bar i use candles up to bar i only, so the value of a bar does not change
    when later candles arrive."""
    X = build_features(candles)
    ok = (X.notna().all(axis=1) & np.isfinite(X).all(axis=1)).to_numpy()
    out = np.full(len(candles), np.nan)
    if ok.any():
        classes = list(model.classes_)
        proba = model.predict_proba(X.to_numpy()[ok])
        up = proba[:, classes.index(1)] if 1 in classes else np.zeros(int(ok.sum()))
        out[ok] = np.clip(up, 0.0, 1.0)
    return out


def predict_proba_up(model: Any, candles: pd.DataFrame) -> tuple[float, pd.Timestamp]:
    """Probability that the bar after the last one closes higher, and the last bar's time."""
    row = latest_features(candles)
    if row.empty:
        raise ValueError("not enough candles to compute the features of the last bar")
    classes = list(model.classes_)
    proba = model.predict_proba(row.to_numpy())[0]
    up = float(proba[classes.index(1)]) if 1 in classes else 0.0
    return float(np.clip(up, 0.0, 1.0)), row.index[-1]
