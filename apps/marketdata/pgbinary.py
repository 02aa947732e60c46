"""PostgreSQL binary COPY for candle rows, built and parsed with numpy (no per-row Python).

A candle row on the wire is (timestamptz, float8 x 5), all NOT NULL: a fixed 74-byte
record, so a whole COPY stream is one numpy structured array. timestamptz travels as
int64 microseconds since 2000-01-01 UTC.
"""

from __future__ import annotations

import numpy as np

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
FIELDS = ("t", "o", "h", "l", "c", "v")

ROW_DTYPE = np.dtype(
    [("n", ">i2")]
    + [
        item
        for name in FIELDS
        for item in ((f"len_{name}", ">i4"), (name, ">i8" if name == "t" else ">f8"))
    ]
)


def encode_rows(ms: np.ndarray, o, h, l, c, v) -> bytes:  # noqa: E741
    rows = np.empty(len(ms), dtype=ROW_DTYPE)
    rows["n"] = 6
    for name in FIELDS:
        rows[f"len_{name}"] = 8
    rows["t"] = ms.astype("int64") * 1000 - PG_EPOCH_US
    rows["o"], rows["h"], rows["l"], rows["c"], rows["v"] = o, h, l, c, v
    return HEADER + rows.tobytes() + TRAILER


def decode_rows(buf: bytes) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(epoch ms int64, {open, high, low, close, volume: float64}) from a binary COPY stream."""
    if not buf.startswith(HEADER[:11]):
        raise ValueError("not a PostgreSQL binary COPY stream")
    ext_len = int.from_bytes(buf[15:19], "big")
    body = memoryview(buf)[19 + ext_len : len(buf) - 2]
    rows = np.frombuffer(body, dtype=ROW_DTYPE)
    ms = (rows["t"].astype("int64") + PG_EPOCH_US) // 1000
    cols = {
        name: rows[key].astype("float64")
        for name, key in zip(
            ("open", "high", "low", "close", "volume"), ("o", "h", "l", "c", "v"), strict=True
        )
    }
    return ms, cols
