"""Reading candle files: Binance kline CSV, generic OHLCV CSV, and .gz/.zip of either.

Owns the file-level rules of SPEC §3: layout detection, timestamp units (s, ms,
µs, ISO dates), per-row validation with line numbers, in-file de-duplication,
interval inference and alignment, and the gap report. Everything is vectorised
over the whole file; no per-row Python loop runs on a valid file.

Before any of that, ``bounds`` caps what the file may cost (decompressed size, archive
members, columns and line length), so pandas only ever sees a file of bounded shape.

The result is a ``CandleFile`` whose ``frame`` is the product's candle frame: a
UTC ``DatetimeIndex`` named ``open_time`` (ascending, unique) and float64
columns open, high, low, close, volume.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .bounds import CandleFileError, ReadLimits, check_lines, decompress
from .intervals import INTERVAL_MS, interval_from_ms, interval_ms, interval_offset_ms

DAY_MS = 86_400_000

OHLCV = ("open", "high", "low", "close", "volume")
TIME_COLUMNS = ("open_time", "timestamp", "date", "datetime", "time")
MAX_REPORTED_REJECTIONS = 20

# Epoch thresholds for telling units apart: 1e11 s is the year 5138, 1e14 ms is 5138 too.
_MS_THRESHOLD = 10**11
_US_THRESHOLD = 10**14
_NS_THRESHOLD = 10**17
# Open times must fit pandas' nanosecond timestamps (1677-09-22 .. 2262-04-11), which the
# rest of the product uses; an epoch of 1e30 or the year 9999 is a bad row, not a crash.
_MIN_MS = -9_223_372_036_854
_MAX_MS = 9_223_372_036_854
_NOT_BLANK = re.compile(rb"\S")
OUT_OF_RANGE = "the time is out of range: dates must fall between 1677-09-22 and 2262-04-11"
DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Gap:
    """Missing candles between two present ones: ``start`` is the first missing open time."""

    start: pd.Timestamp
    end: pd.Timestamp
    missing: int

    def to_dict(self) -> dict:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "missing": int(self.missing),
        }


@dataclass(frozen=True)
class CandleFile:
    frame: pd.DataFrame
    interval: str
    layout: str
    rows_total: int
    rejected: tuple[RowError, ...] = ()
    rejected_count: int = 0
    duplicates_in_file: int = 0
    timestamp_units: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def empty_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="open_time")
    return pd.DataFrame({c: np.array([], dtype="float64") for c in OHLCV}, index=index)


def _read_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | Path):
        with open(source, "rb") as fh:
            return fh.read()
    return source.read()


def _decode(raw: bytes | bytearray) -> str:
    if _NOT_BLANK.search(raw) is None:  # a search, not raw.strip(): no copy of the file
        raise CandleFileError("the file is empty")
    if b"\x00" in raw[:65536]:
        raise CandleFileError("the file is binary, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CandleFileError("the file is not UTF-8 text (is it binary?)") from None
    return text


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _detect_layout(first_line: str) -> tuple[str, list[str] | None]:
    """Return (layout, header) from the first line."""
    fields = [f.strip().strip('"').strip() for f in first_line.split(",")]
    if len(fields) < 6:
        raise CandleFileError(
            f"line 1 has {len(fields)} column(s); a candle file needs at least "
            "a time column and open, high, low, close, volume"
        )
    if all(_is_number(f) for f in fields[:6]):
        return "binance", None
    header = [f.lower() for f in fields]
    if header[:2] == ["open_time", "open"] and "close_time" in header:
        return "binance_header", header
    return "generic", header


def _time_to_ms(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[str]]:
    """Convert a column of epoch numbers or ISO dates to int64 ms.

    Returns (ms, bad_mask, out_of_range_mask, units_seen). The unit of epoch numbers is
    decided per row by magnitude, so a file mixing 2024 ms rows with 2025 µs rows reads
    correctly. Times pandas cannot hold in nanoseconds are out of range.
    """
    units: set[str] = set()
    numeric = pd.to_numeric(col, errors="coerce")
    is_num = numeric.notna().to_numpy()
    values = numeric.to_numpy(dtype="float64", na_value=np.nan)
    ms = np.zeros(len(col), dtype="int64")
    bad = np.zeros(len(col), dtype=bool)
    out_of_range = np.zeros(len(col), dtype=bool)

    if is_num.any():
        v = values[is_num]
        with np.errstate(invalid="ignore"):
            negative = v < 0
            fraction = np.isfinite(v) & (v != np.floor(v))
            # Beyond int64 (1e30, inf) the cast below would wrap to garbage.
            huge = v >= 2.0**63
        bad[is_num] = negative | fraction
        out_of_range[is_num] = huge
        iv = np.where(negative | fraction | huge, 0, v).astype("int64")
        out, sub_ms, seen = _epoch_ms(iv)
        units |= seen
        bad[is_num] |= sub_ms
        ms[is_num] = out

    text_rows = ~is_num
    if text_rows.any():
        parsed = pd.to_datetime(col[text_rows], utc=True, errors="coerce", format="mixed")
        ok = parsed.notna().to_numpy()
        idx = np.flatnonzero(text_rows)
        # pandas picks the resolution (µs for ISO text); ms holds any year, ns would not.
        ms[idx[ok]] = parsed[ok].dt.as_unit("ms").astype("int64").to_numpy()
        bad[idx[~ok]] = True
        if ok.any():
            units.add("iso")
    out_of_range |= ~bad & _out_of_range(ms)
    return ms, bad, out_of_range, units


def _epoch_ms(iv: np.ndarray) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Whole, non-negative epoch numbers to ms, each row's unit (s, ms, µs, ns) decided by
    its magnitude: (ms, rows with a sub-millisecond remainder, which are not a candle open
    time, units seen). Both readers convert times with it."""
    out = np.empty_like(iv)
    sec = iv < _MS_THRESHOLD
    msk = (iv >= _MS_THRESHOLD) & (iv < _US_THRESHOLD)
    usk = (iv >= _US_THRESHOLD) & (iv < _NS_THRESHOLD)
    nsk = iv >= _NS_THRESHOLD
    out[sec] = iv[sec] * 1000
    out[msk] = iv[msk]
    out[usk] = iv[usk] // 1000
    out[nsk] = iv[nsk] // 1_000_000
    units = {
        name for name, mask in (("s", sec), ("ms", msk), ("us", usk), ("ns", nsk)) if mask.any()
    }
    sub_ms = np.zeros(len(iv), dtype=bool)
    sub_ms[usk] = iv[usk] % 1000 != 0
    sub_ms[nsk] = iv[nsk] % 1_000_000 != 0
    return out, sub_ms, units


def _out_of_range(ms: np.ndarray) -> np.ndarray:
    """Open times pandas cannot hold in nanoseconds."""
    return (ms < _MIN_MS) | (ms > _MAX_MS)


def _misaligned(ms: np.ndarray, interval: str) -> np.ndarray:
    """Open times off the interval's grid (weeks start on Monday, as Binance's do)."""
    return (ms - interval_offset_ms(interval)) % interval_ms(interval) != 0


def _resolve_interval(good_ms: np.ndarray, interval: str | None) -> str:
    """The interval as given (checked against the file's spacing) or inferred from it."""
    if interval is None:
        if len(good_ms) < 2:
            raise CandleFileError(
                "cannot infer the interval from fewer than two candles; give it explicitly"
            )
        vals, counts = np.unique(np.diff(good_ms), return_counts=True)
        spacing = int(vals[np.argmax(counts)])
        inferred = interval_from_ms(spacing)
        if inferred is None:
            raise CandleFileError(
                f"the candles are {spacing // 1000} s apart, which is not a supported interval"
            )
        return inferred
    if len(good_ms) >= 3:
        vals, counts = np.unique(np.diff(good_ms), return_counts=True)
        spacing = int(vals[np.argmax(counts)])
        # The most common spacing is the file's interval; gaps don't change the mode.
        if spacing != INTERVAL_MS[interval]:
            found = interval_from_ms(spacing) or f"{spacing // 1000} s"
            raise CandleFileError(
                f"interval {interval} does not match the file, whose candles are {found} apart"
            )
    return interval


def _value_rules(
    values: Mapping[str, np.ndarray],
    text: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[tuple[np.ndarray, str]]:
    """Every rule a row's open, high, low, close and volume keep, as (rows that break it,
    reason), in the order a row's first broken rule is the one reported. Both readers use
    it: the general path names each bad line, the fast path gives up on any.

    ``text`` gives, per column, the rows whose field was empty and those spelled NaN, so
    those are named as the file wrote them; without it a NaN is "not a number".
    """
    rules: list[tuple[np.ndarray, str]] = []
    for c in OHLCV:
        num = values[c]
        nan = np.isnan(num)
        if text is not None:
            missing, spelled_nan = text[c]
            rules += [(missing, f"{c} is missing"), (spelled_nan, f"{c} is NaN")]
            nan &= ~missing & ~spelled_nan
        rules += [(nan, f"{c} is not a number"), (np.isinf(num), f"{c} is infinite")]
    o, h, lo, cl, v = (values[c] for c in OHLCV)
    with np.errstate(invalid="ignore"):
        rules += [(values[c] <= 0, f"{c} must be positive") for c in OHLCV[:4]]
        rules += [
            (v < 0, "volume must not be negative"),
            (h < np.fmax(o, cl), "high is below max(open, close)"),
            (lo > np.fmin(o, cl), "low is above min(open, close)"),
            (h < lo, "high is below low"),
        ]
    return rules


def _fast_binance(
    text: str, header: bool, interval: str | None, weekdays_only: bool = False
) -> CandleFile | None:
    """The common case, fully vectorised: a clean numeric Binance file.

    Returns None at the first sign of anything unusual (a non-numeric field, a bad value,
    a duplicate, unsorted rows); the general path then reads the file again and names
    every bad line.
    """
    try:
        # A time like 1e30 does not fit int64: the parse fails (then the general path
        # names the line) and numpy's cast warning is noise.
        with np.errstate(invalid="ignore"):
            df = pd.read_csv(
                io.StringIO(text),
                header=None,
                skiprows=1 if header else 0,
                usecols=range(6),
                dtype={
                    0: "int64",
                    1: "float64",
                    2: "float64",
                    3: "float64",
                    4: "float64",
                    5: "float64",
                },
                na_filter=False,
                engine="c",
            )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OverflowError):
        return None
    n = len(df)
    if n < 2:
        return None
    iv = df[0].to_numpy()
    o, h, lo, cl, v = (df[i].to_numpy() for i in range(1, 6))
    if iv.min() < _MS_THRESHOLD or iv.max() >= _NS_THRESHOLD:  # ms and µs only
        return None
    ms, sub_ms, units = _epoch_ms(iv)
    if sub_ms.any() or _out_of_range(ms).any():  # the general path names the line
        return None
    if np.any(np.diff(ms) <= 0):
        return None
    values = {"open": o, "high": h, "low": lo, "close": cl, "volume": v}
    if any(broken.any() for broken, _ in _value_rules(values)):
        return None
    try:
        interval = _resolve_interval(ms, interval)
    except CandleFileError:
        return None
    if _misaligned(ms, interval).any():
        return None
    index = pd.DatetimeIndex(pd.to_datetime(ms, unit="ms", utc=True), name="open_time")
    frame = pd.DataFrame({"open": o, "high": h, "low": lo, "close": cl, "volume": v}, index=index)
    return CandleFile(
        frame=frame,
        interval=interval,
        layout="binance_header" if header else "binance",
        rows_total=n,
        timestamp_units=tuple(sorted(units)),
        gaps=tuple(find_gaps(frame.index, interval, weekdays_only=weekdays_only)),
    )


def read_candles(
    source: str | Path | bytes | BinaryIO,
    *,
    interval: str | None = None,
    name: str | None = None,
    weekdays_only: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> CandleFile:
    """Read and validate a candle file (``weekdays_only``: see `find_gaps`).

    ``limits`` bound what the file may cost (decompressed size, archive members, columns,
    line length); they are checked before any parsing and raise ``CandleFileError``.

    Rows that break a rule are listed in ``rejected`` (line numbers are the file's own,
    1-based, header included) and left out of ``frame``; the caller decides whether a
    file with rejections may be stored (the product refuses it as a whole).
    Raises ``CandleFileError`` when the file cannot be read as candles at all.
    """
    if interval is not None:
        interval_ms(interval)  # validates the name
    raw = decompress(_read_bytes(source), limits)
    check_lines(raw, limits)
    text = _decode(raw)
    del raw  # the text is the copy pandas reads; don't hold both
    first_line = text.lstrip("\r\n").split("\n", 1)[0].strip("\r")
    layout, header = _detect_layout(first_line)
    leading_blank = len(text) - len(text.lstrip("\r\n"))
    first_line_no = text[:leading_blank].count("\n") + 1
    if layout in ("binance", "binance_header"):
        fast = _fast_binance(text, layout == "binance_header", interval, weekdays_only)
        if fast is not None:
            return fast

    try:
        if layout == "binance":
            df = pd.read_csv(
                io.StringIO(text),
                header=None,
                skiprows=first_line_no - 1,  # leading blank lines (counted in `lines` below)
                usecols=range(6),
                names=["time", *OHLCV],
                dtype=str,
                skip_blank_lines=False,
                keep_default_na=False,
            )
            line_offset = 1
        else:
            # index_col=False: a first row wider than the header would otherwise become an
            # index (one level per extra field) and shift every column; pandas then drops
            # the extra fields with a warning, which names no line, so find it here.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                df = pd.read_csv(
                    io.StringIO(text),
                    skiprows=first_line_no - 1,  # else a leading blank line is the header
                    dtype=str,
                    index_col=False,
                    skip_blank_lines=False,
                    keep_default_na=False,
                    skipinitialspace=True,
                )
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                line, fields = _first_wider_line(text, first_line_no, len(df.columns))
                raise CandleFileError(
                    f"line {line} has {fields} fields; the header has {len(df.columns)}"
                )
            df.columns = [str(c).strip().strip('"').lower() for c in df.columns]
            time_col = next((c for c in TIME_COLUMNS if c in df.columns), None)
            missing = [c for c in OHLCV if c not in df.columns]
            if time_col is None or missing:
                wanted = [] if time_col else ["one of " + "|".join(TIME_COLUMNS)]
                raise CandleFileError("the header lacks column(s): " + ", ".join(wanted + missing))
            df = df[[time_col, *OHLCV]].rename(columns={time_col: "time"})
            line_offset = 2
    except pd.errors.ParserError as exc:
        raise CandleFileError(f"the CSV is malformed: {exc}") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError):
        raise CandleFileError("the file is empty") from None

    # Physical line numbers (blank lines were kept so the count stays true).
    lines = np.arange(len(df), dtype="int64") + line_offset + (first_line_no - 1)
    blank = df.fillna("").apply(lambda s: s.str.strip()).eq("").all(axis=1).to_numpy()
    df = df.loc[~blank]
    lines = lines[~blank]
    rows_total = len(df)
    if rows_total == 0:
        raise CandleFileError("the file has a header but no candle rows")

    reasons = np.full(rows_total, "", dtype=object)

    def reject(mask: np.ndarray, reason: str) -> None:
        fresh = mask & (reasons == "")
        reasons[fresh] = reason

    ms, bad_time, out_of_range, units = _time_to_ms(df["time"].fillna(""))
    reject(bad_time, "the time is not an epoch number or an ISO date")
    reject(out_of_range, OUT_OF_RANGE)

    values: dict[str, np.ndarray] = {}
    text: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in OHLCV:
        raw_col = df[c]
        values[c] = pd.to_numeric(raw_col, errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        stripped = raw_col.fillna("").str.strip()
        text[c] = (
            raw_col.isna().to_numpy() | (stripped == "").to_numpy(),
            stripped.str.lower().isin(["nan", "-nan", "+nan"]).to_numpy(),
        )
    for broken, reason in _value_rules(values, text):
        reject(broken, reason)
    o, h, lo, cl, v = (values[c] for c in OHLCV)

    good = reasons == ""
    interval = _resolve_interval(np.unique(ms[good]), interval)

    reject(good & _misaligned(ms, interval), f"the time is not aligned to the {interval} grid")

    # In-file duplicates: identical rows collapse; conflicting ones are rejected.
    good = reasons == ""
    order = np.argsort(ms, kind="stable")
    dup_count = 0
    if good.any():
        g_idx = order[good[order]]
        g_ms = ms[g_idx]
        same_as_prev = np.zeros(len(g_idx), dtype=bool)
        same_as_prev[1:] = g_ms[1:] == g_ms[:-1]
        if same_as_prev.any():
            prev = np.roll(g_idx, 1)
            identical = np.ones(len(g_idx), dtype=bool)
            for arr in (o, h, lo, cl, v):
                identical &= arr[g_idx] == arr[prev]
            conflicting = same_as_prev & ~identical
            duplicate = same_as_prev & identical
            dup_count = int(duplicate.sum())
            conflict_mask = np.zeros(rows_total, dtype=bool)
            conflict_mask[g_idx[conflicting]] = True
            reject(conflict_mask, "the same open time appears earlier with different values")
            keep = np.ones(rows_total, dtype=bool)
            keep[g_idx[duplicate]] = False
        else:
            keep = np.ones(rows_total, dtype=bool)
    else:
        keep = np.ones(rows_total, dtype=bool)

    good = (reasons == "") & keep
    rejected_mask = reasons != ""
    rejected_count = int(rejected_mask.sum())
    rej_idx = np.flatnonzero(rejected_mask)[:MAX_REPORTED_REJECTIONS]
    rejected = tuple(RowError(int(lines[i]), str(reasons[i])) for i in rej_idx)

    sel = np.flatnonzero(good)
    sel = sel[np.argsort(ms[sel], kind="stable")]
    index = pd.DatetimeIndex(pd.to_datetime(ms[sel], unit="ms", utc=True), name="open_time")
    frame = pd.DataFrame(
        {
            "open": o[sel],
            "high": h[sel],
            "low": lo[sel],
            "close": cl[sel],
            "volume": v[sel],
        },
        index=index,
    )
    return CandleFile(
        frame=frame,
        interval=interval,
        layout=layout,
        rows_total=rows_total,
        rejected=rejected,
        rejected_count=rejected_count,
        duplicates_in_file=dup_count,
        timestamp_units=tuple(sorted(units)),
        gaps=tuple(find_gaps(frame.index, interval, weekdays_only=weekdays_only)),
    )


def _first_wider_line(text: str, header_line: int, width: int) -> tuple[int, int]:
    """(line number, field count) of the first line after the header with more than
    ``width`` fields. Only called on a file already known to have one, near the top."""
    at = 0
    for _ in range(header_line):
        at = text.index("\n", at) + 1
    line = header_line
    while at < len(text):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        line += 1
        fields = text.count(",", at, end) + 1
        if fields > width:
            return line, fields
        at = end + 1
    return header_line + 1, width + 1  # not reached: pandas saw one


def find_gaps(
    index: pd.DatetimeIndex | np.ndarray,
    interval: str,
    limit: int | None = None,
    *,
    weekdays_only: bool = False,
) -> list[Gap]:
    """Runs of missing candles in an ascending index of open times.

    ``weekdays_only`` is for markets closed at the weekend (stocks, forex): bars that would
    open on a Saturday or Sunday (UTC) are not missing, so Friday to Monday is no gap."""
    step = interval_ms(interval)
    if isinstance(index, pd.DatetimeIndex):
        ms = index.as_unit("ms").asi8
    else:
        ms = np.asarray(index, dtype="int64")
    if len(ms) < 2:
        return []
    diffs = np.diff(ms)
    at = np.flatnonzero(diffs > step)
    if not weekdays_only or step > DAY_MS:
        if limit is not None:
            at = at[:limit]
        return [
            Gap(
                start=pd.Timestamp(int(ms[i] + step), unit="ms", tz="UTC"),
                end=pd.Timestamp(int(ms[i + 1] - step), unit="ms", tz="UTC"),
                missing=int(diffs[i] // step - 1),
            )
            for i in at
        ]
    gaps = []
    for i in at:
        absent = np.arange(ms[i] + step, ms[i + 1], step, dtype="int64")
        absent = absent[(absent // DAY_MS + 3) % 7 < 5]  # 1970-01-01 was a Thursday
        if len(absent):
            gaps.append(
                Gap(
                    start=pd.Timestamp(int(absent[0]), unit="ms", tz="UTC"),
                    end=pd.Timestamp(int(absent[-1]), unit="ms", tz="UTC"),
                    missing=len(absent),
                )
            )
            if limit is not None and len(gaps) >= limit:
                break
    return gaps
