"""Market-data reads: the candle frame every engine call starts from, and coverage.

``candles_frame`` never builds model instances: PostgreSQL streams the rows with
``COPY ... TO STDOUT`` (CSV, epoch ms) and pandas parses them in one call; SQLite
reads plain tuples with the time already converted to epoch seconds by SQL. Either way a
series with a version stamp is then served from the candle cache (``candlecache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, QuerySet

from apps.core.formatting import decimals_of
from engine.marketdata import (
    OHLCV,
    empty_frame,
    find_gaps,
    interval_ms,
    interval_offset_ms,
)
from engine.strategy.resample import finer_source, resample_closed

from . import candlecache, pgbinary
from .models import Candle, CandleImport, CandleSeries, Symbol


def _db_time(value: datetime) -> datetime | str:
    """A bound for raw SQL: SQLite compares Django's naive-UTC text, PostgreSQL takes timestamptz."""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if connection.vendor == "sqlite":
        return ts.strftime("%Y-%m-%d %H:%M:%S")
    return ts.to_pydatetime()


def _range_sql(
    start: datetime | None, end: datetime | None, last: int | None
) -> tuple[str, str, list]:
    where, params = "", []
    if start is not None:
        where += " AND open_time >= %s"
        params.append(_db_time(start))
    if end is not None:
        where += " AND open_time <= %s"
        params.append(_db_time(end))
    order = " ORDER BY open_time DESC LIMIT %s" if last else " ORDER BY open_time"
    if last:
        params.append(int(last))
    return where, order, params


def candles_frame(
    *,
    symbol: str | Symbol,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    last: int | None = None,
) -> pd.DataFrame:
    """Candles as a UTC-indexed float64 DataFrame (open, high, low, close, volume).

    ``start``/``end`` are inclusive bounds on the open time; ``last`` keeps only the most
    recent N candles of the range (agents need a few hundred, not the whole history).
    An unknown symbol gives an empty frame.

    Read through the candle cache (``candlecache``): a series with a stamp is sliced from
    its cached file; a miss loads the whole series once and files it (a ``last`` read on a
    miss asks the database for its few rows instead: cheaper than building the file).
    """
    cached = candlecache.cache_dir() is not None
    if isinstance(symbol, Symbol):
        symbol_id = symbol.pk
        stamp = candlecache.series_stamp(symbol_id, interval) if cached else ""
    else:
        # By name: the series' version row gives the symbol's id and the stamp in one
        # query; a symbol without one (no candles imported at this interval) by its row.
        found = candlecache.series_by_name(symbol.upper(), interval) if cached else None
        if found is not None:
            symbol_id, stamp = found
        else:
            stamp = ""
            symbol_id = (
                Symbol.objects.filter(name=symbol.upper()).values_list("pk", flat=True).first()
            )
            if symbol_id is None:
                return empty_frame()

    if stamp:
        arr = candlecache.load(symbol_id, interval, stamp)
        if arr is not None:
            return _slice(arr[0], list(arr[1:]), start, end, last)
        if not last:
            rows = _db_rows(symbol_id, interval, "", " ORDER BY open_time", [])
            if rows is None:
                return empty_frame()
            ms, values = rows
            # File the rows only if no import committed between the two stamp reads: then
            # they are exactly the series at ``stamp``.
            if candlecache.series_stamp(symbol_id, interval) == stamp:
                candlecache.store_later(symbol_id, interval, stamp, ms, values)
            return _slice(ms, [values[c] for c in OHLCV], start, end, last)

    where, order, params = _range_sql(start, end, last)
    rows = _db_rows(symbol_id, interval, where, order, params)
    if rows is None:
        return empty_frame()
    ms, values = rows
    if last:
        ms = ms[::-1]
        values = {c: v[::-1] for c, v in values.items()}
    return _frame(ms, [values[c] for c in OHLCV])


def _stored_series(symbol_id: int) -> list[tuple[str, str | None]]:
    """(interval, series stamp) of each interval a symbol has candles of: its series rows,
    else its candles' intervals (stamp None)."""
    found = list(
        CandleSeries.objects.filter(symbol_id=symbol_id)
        .order_by("pk")
        .values_list("interval", "stamp")
    )
    return found or [
        (interval, None)
        for interval in Candle.objects.filter(symbol_id=symbol_id)
        .values_list("interval", flat=True)
        .distinct()
    ]


def stored_intervals(symbol_id: int) -> list[str]:
    """The intervals a symbol has candles of (its series rows, else its candles)."""
    return [interval for interval, _ in _stored_series(symbol_id)]


def candles_read(
    *,
    symbol: Symbol,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    last: int | None = None,
) -> tuple[pd.DataFrame, str]:
    """``candles_frame``, or, when the symbol has no candles of ``interval``, its bars built
    from the coarsest stored finer interval (complete bars only: a 4h bar exists once its
    last 1h candle does). Returns the frame and the interval it was read from."""
    stored = stored_intervals(symbol.pk)
    source = interval if interval in stored else finer_source(interval, stored)
    if source is None or source == interval:
        return candles_frame(symbol=symbol, interval=interval, start=start, end=end, last=last), (
            interval
        )
    step = interval_ms(interval)
    ratio = step // interval_ms(source)
    offset = interval_offset_ms(interval)
    lo = None
    if start is not None:
        ms = int(start.timestamp() * 1000)
        lo = pd.Timestamp((ms - offset) // step * step + offset, unit="ms", tz="UTC")  # its bin
    hi = None if end is None else end + pd.Timedelta(milliseconds=step - interval_ms(source))
    base = candles_frame(
        symbol=symbol,
        interval=source,
        start=lo,
        end=hi,
        last=None if last is None else (last + 1) * ratio,
    )
    bars = resample_closed(base, source, interval)
    if start is not None:
        bars = bars[bars.index >= start]
    if end is not None:
        bars = bars[bars.index <= end]
    if last is not None:
        bars = bars.iloc[-last:] if last else bars.iloc[:0]
    return bars, source


def _db_rows(
    symbol_id: int, interval: str, where: str, order: str, params: list
) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(open times in epoch ms, OHLCV columns) of the series in one statement, None if none."""
    table = Candle._meta.db_table
    base_params = [symbol_id, interval, *params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg import sql

            # COPY can't take bind parameters: compose them as literals (psycopg quotes them).
            inner = (
                f"SELECT open_time, open, high, low, close, volume "
                f'FROM {table} WHERE symbol_id = %s AND "interval" = %s{where}{order}'
            )
            raw = cursor.cursor
            query = sql.SQL(inner.replace("%s", "{}")).format(
                *[sql.Literal(p) for p in base_params]
            )
            buf = bytearray()
            with raw.copy(
                sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT binary)").format(query)
            ) as copy:
                for chunk in copy:
                    buf += chunk
            ms, values = pgbinary.decode_rows(bytes(buf))
            if len(ms) == 0:
                return None
            return ms, values
        cursor.execute(
            f"SELECT CAST(strftime('%%s', open_time) AS INTEGER), open, high, low, close, volume "
            f'FROM {table} WHERE symbol_id = %s AND "interval" = %s{where}{order}',
            base_params,
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    arr = np.array(rows, dtype="float64")
    ms = arr[:, 0].astype("int64") * 1000
    return ms, {c: arr[:, i + 1] for i, c in enumerate(OHLCV)}


def _frame(ms: np.ndarray, columns: list[np.ndarray]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(ms, unit="ms", utc=True), name="open_time")
    return pd.DataFrame(
        {c: np.array(v, dtype="float64", copy=True) for c, v in zip(OHLCV, columns, strict=True)},
        index=index,
    )


def _bound_ms(value: datetime) -> float:
    """A range bound in epoch ms, compared exactly as the database compares it (SQLite sees
    whole seconds, see ``_db_time``)."""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if connection.vendor == "sqlite":
        ts = ts.floor("s")
    return ts.value / 1_000_000


def _slice(
    ms: np.ndarray,
    columns: list[np.ndarray],
    start: datetime | None,
    end: datetime | None,
    last: int | None,
) -> pd.DataFrame:
    """The rows of an ascending in-memory series that the SQL range would return."""
    lo, hi = 0, len(ms)
    if start is not None:
        lo = int(np.searchsorted(ms, _bound_ms(start), side="left"))
    if end is not None:
        hi = int(np.searchsorted(ms, _bound_ms(end), side="right"))
    if last:
        lo = max(lo, hi - int(last))
    if hi <= lo:
        return empty_frame()
    return _frame(np.asarray(ms[lo:hi]).astype("int64"), [c[lo:hi] for c in columns])


def candle_open_times_ms(*, symbol_id: int, interval: str) -> np.ndarray:
    """All open times of a series as int64 epoch ms, ascending (for gap reports)."""
    table = Candle._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT (extract(epoch FROM open_time) * 1000)::bigint FROM {table} "
                f'WHERE symbol_id = %s AND "interval" = %s ORDER BY open_time',
                [symbol_id, interval],
            )
            return np.array([r[0] for r in cursor.fetchall()], dtype="int64")
        cursor.execute(
            f"SELECT CAST(strftime('%%s', open_time) AS INTEGER) FROM {table} "
            f'WHERE symbol_id = %s AND "interval" = %s ORDER BY open_time',
            [symbol_id, interval],
        )
        return np.array([r[0] for r in cursor.fetchall()], dtype="int64") * 1000


@dataclass(frozen=True)
class Coverage:
    interval: str
    first: datetime
    last: datetime
    count: int
    missing: int
    gaps: list[dict]
    gap_count: int

    def to_dict(self) -> dict:
        return {
            "interval": self.interval,
            "first": self.first.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last": self.last.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "count": self.count,
            "missing": self.missing,
            "gap_count": self.gap_count,
            "gaps": self.gaps,
        }


MAX_GAPS_LISTED = 20


def symbol_coverage(symbol: Symbol) -> list[Coverage]:
    """Per interval: first/last candle, count, missing candles and the gaps (first 20)."""
    rows = (
        Candle.objects.filter(symbol=symbol)
        .values("interval")
        .annotate(first=Min("open_time"), last=Max("open_time"), count=Count("id"))
        .order_by("interval")
    )
    out = []
    for row in rows:
        step = interval_ms(row["interval"])
        span_ms = int((row["last"] - row["first"]).total_seconds() * 1000)
        expected = span_ms // step + 1
        missing = max(expected - row["count"], 0)
        gaps: list[dict] = []
        gap_count = 0
        if missing:
            times = candle_open_times_ms(symbol_id=symbol.pk, interval=row["interval"])
            all_gaps = find_gaps(times, row["interval"], weekdays_only=symbol.closed_at_weekends)
            gap_count = len(all_gaps)
            gaps = [g.to_dict() for g in all_gaps[:MAX_GAPS_LISTED]]
            if symbol.closed_at_weekends:
                missing = sum(g.missing for g in all_gaps)
        out.append(
            Coverage(
                interval=row["interval"],
                first=row["first"],
                last=row["last"],
                count=row["count"],
                missing=missing,
                gaps=gaps,
                gap_count=gap_count,
            )
        )
    return out


def symbol_list() -> QuerySet[Symbol]:
    return Symbol.objects.all().order_by("name")


def symbol_get(name: str) -> Symbol | None:
    return Symbol.objects.filter(name=(name or "").strip().upper()).first()


def candle_import_list(*, user=None) -> QuerySet[CandleImport]:
    qs = CandleImport.objects.select_related("user", "symbol")
    if user is not None and not user.is_staff:
        qs = qs.filter(user=user)
    return qs


def candles_payload(
    frame: pd.DataFrame,
    *,
    symbol: Symbol | str,
    interval: str,
    truncated: bool,
    source: str | None = None,
    precision: int | None = None,
) -> dict:
    """Compact arrays for charts and clients: open times in epoch seconds UTC (what
    lightweight-charts takes; the API's other answers use ISO 8601), one list per field, and
    the decimals to show prices with (the symbol's ``price_precision`` unless given; pass
    the Symbol when you have it, a name costs a lookup). ``source``: the stored interval the
    bars were built from (``interval`` itself when stored)."""
    return {
        "symbol": symbol.name if isinstance(symbol, Symbol) else symbol,
        "interval": interval,
        "resampled_from": None if source in (None, interval) else source,
        "count": len(frame),
        "truncated": truncated,
        "precision": price_precision(symbol) if precision is None else precision,
        "time_epoch_s": (frame.index.as_unit("s").asi8).tolist(),
        "o": frame["open"].tolist(),
        "h": frame["high"].tolist(),
        "l": frame["low"].tolist(),
        "c": frame["close"].tolist(),
        "v": frame["volume"].tolist(),
    }


PRICE_SAMPLE = 300  # latest candles read to find a symbol's price precision
PRICE_PRECISION_TTL = 300  # seconds a symbol's precision stays cached


def price_precision(symbol: Symbol | str | int | None) -> int:
    """The decimals a symbol's prices are quoted to (2..8), read from its latest stored
    candles: ETHBTC at 0.08912 -> 5, BTCUSDT at 64123.45 -> 2. Unknown or no candles: 2."""
    if symbol is None:
        return 2
    if isinstance(symbol, Symbol):
        symbol_id = symbol.pk
    elif isinstance(symbol, int):
        symbol_id = symbol
    else:
        found = symbol_get(symbol)
        if found is None:
            return 2
        symbol_id = found.pk
    stored = _stored_series(symbol_id)
    if not stored:
        return 2
    interval, stamp = stored[0]
    # Keyed by the series' stamp, which every import and sync changes.
    key = f"marketdata:price-precision:{symbol_id}:{interval}:{stamp}" if stamp else None
    cached = cache.get(key) if key else None
    if cached is not None:
        return cached
    rows = (
        Candle.objects.filter(symbol_id=symbol_id, interval=interval)
        .order_by("-open_time")
        .values_list("open", "high", "low", "close")[:PRICE_SAMPLE]
    )
    places = max(2, decimals_of(v for row in rows for v in row))
    if key:
        cache.set(key, places, PRICE_PRECISION_TTL)
    return places
