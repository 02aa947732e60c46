"""The candle-file reader: layouts, timestamp units, compression and every rejection reason."""

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.marketdata import CandleFileError, find_gaps, read_candles
from engine.marketdata.intervals import interval_ms

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"
BTC = DATA / "BTCUSDT-1h-2020-08_2021-06.csv"


@pytest.fixture(scope="module")
def btc_text() -> str:
    return BTC.read_text()


def _lines(text: str, n: int | None = None) -> list[str]:
    lines = text.splitlines()
    return lines[:n] if n else lines


def _to_us(line: str) -> str:
    # The µs layout of Binance spot files from 2025 on, derived from the real rows:
    # open_time_us = open_time_ms * 1000, close_time_us = close_time_ms * 1000 + 999.
    f = line.split(",")
    f[0] = str(int(f[0]) * 1000)
    f[6] = str(int(f[6]) * 1000 + 999)
    return ",".join(f)


def test_reads_the_shipped_binance_file_exactly(btc_text):
    cf = read_candles(BTC)
    assert cf.ok and cf.layout == "binance" and cf.interval == "1h"
    assert cf.rows_total == 7477 and len(cf.frame) == 7477
    assert cf.timestamp_units == ("ms",)
    assert list(cf.frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dt == np.float64 for dt in cf.frame.dtypes)
    assert str(cf.frame.index.tz) == "UTC" and cf.frame.index.is_monotonic_increasing
    # 2021-01-01 00:00 row, checked against Binance in the data provenance notes.
    row = cf.frame.loc[pd.Timestamp("2021-01-01 00:00", tz="UTC")]
    assert (row.open, row.high, row.low, row.close) == (28923.63, 29031.34, 28690.17, 28995.13)
    assert row.volume == pytest.approx(2311.811445)
    assert len(cf.gaps) == 7


def test_microsecond_timestamps_read_as_the_same_candles(btc_text):
    ms_file = read_candles(btc_text.encode())
    us_file = read_candles("\n".join(_to_us(line) for line in _lines(btc_text)).encode())
    assert us_file.timestamp_units == ("us",)
    pd.testing.assert_frame_equal(ms_file.frame, us_file.frame)


def test_mixed_ms_and_us_rows_in_one_file(btc_text):
    lines = _lines(btc_text, 100)
    mixed = lines[:50] + [_to_us(line) for line in lines[50:]]
    cf = read_candles("\n".join(mixed).encode())
    assert cf.ok and len(cf.frame) == 100 and set(cf.timestamp_units) == {"ms", "us"}
    assert cf.frame.index.equals(read_candles("\n".join(lines).encode()).frame.index)


def test_futures_header_line_is_tolerated(btc_text):
    header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
    cf = read_candles((header + "\n" + "\n".join(_lines(btc_text, 20))).encode())
    assert cf.layout == "binance_header" and len(cf.frame) == 20 and cf.ok


@pytest.mark.parametrize(
    "time_values",
    [
        ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"],
        ["2024-01-01 00:00:00", "2024-01-01 01:00:00", "2024-01-01 02:00:00"],
        ["1704067200", "1704070800", "1704074400"],
        ["1704067200000", "1704070800000", "1704074400000"],
        ["1704067200000000", "1704070800000000", "1704074400000000"],
    ],
)
def test_generic_csv_with_header_in_every_time_format(time_values):
    body = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
        f"{t},100,110,90,105,12.5" for t in time_values
    )
    cf = read_candles(body.encode())
    assert cf.layout == "generic" and cf.interval == "1h" and cf.ok
    assert cf.frame.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert cf.frame["close"].tolist() == [105.0] * 3


def test_generic_header_missing_columns_is_a_file_error():
    with pytest.raises(CandleFileError, match="lacks column"):
        read_candles(b"date,open,high,low,close,extra\n2024-01-01,1,2,0.5,1,3\n")


def test_gzip_and_zip_give_the_same_frame(btc_text):
    plain = read_candles(btc_text.encode()).frame
    gz = read_candles(gzip.compress(btc_text.encode())).frame
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BTCUSDT-1h-2021-01.csv", btc_text)
    zp = read_candles(buf.getvalue()).frame
    pd.testing.assert_frame_equal(plain, gz)
    pd.testing.assert_frame_equal(plain, zp)


def test_zip_with_several_csvs_is_refused(btc_text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", btc_text)
        zf.writestr("b.csv", btc_text)
    with pytest.raises(CandleFileError, match="several files"):
        read_candles(buf.getvalue())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(256)) * 4, "binary"),
        (b"\xff\xfe\xfa\xfb,1,2,3,4,5\n", "UTF-8"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (b"PK\x03\x04garbage", "zip"),
        (b"just,three,cols\n", "column"),
        (b"date,open,high,low,close,volume\n", "no candle rows"),
    ],
)
def test_unreadable_files_get_a_clear_error(content, message):
    with pytest.raises(CandleFileError, match=message):
        read_candles(content)


def _broken(btc_text: str, line_no: int, col: int, value: str) -> bytes:
    lines = _lines(btc_text, 30)
    f = lines[line_no - 1].split(",")
    f[col] = value
    lines[line_no - 1] = ",".join(f)
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("col", "value", "reason"),
    [
        (2, "1", "high is below max(open, close)"),
        (3, "999999", "low is above min(open, close)"),
        (4, "nan", "close is NaN"),
        (1, "abc", "open is not a number"),
        (1, "", "open is missing"),
        (1, "-5", "open must be positive"),
        (5, "-1", "volume must not be negative"),
        (4, "inf", "close is infinite"),
        (0, "yesterday", "the time is not an epoch number or an ISO date"),
        (0, "1596322800001", "the time is not aligned to the 1h grid"),
    ],
)
def test_every_rejection_reason_names_the_line(btc_text, col, value, reason):
    cf = read_candles(_broken(btc_text, 7, col, value), interval="1h")
    assert not cf.ok
    assert cf.rejected_count == 1
    assert (cf.rejected[0].line, cf.rejected[0].reason) == (7, reason)
    assert len(cf.frame) == 29


def test_conflicting_duplicate_is_rejected_and_identical_one_collapses(btc_text):
    lines = _lines(btc_text, 10)
    identical = read_candles("\n".join(lines + [lines[3]]).encode())
    assert identical.ok and identical.duplicates_in_file == 1 and len(identical.frame) == 10
    f = lines[3].split(",")
    f[4] = str(float(f[4]) + 1)
    f[2] = str(max(float(f[2]), float(f[4])))
    conflict = read_candles("\n".join(lines + [",".join(f)]).encode())
    assert conflict.rejected_count == 1 and conflict.rejected[0].line == 11
    assert "different values" in conflict.rejected[0].reason


def test_wrong_interval_is_a_file_error(btc_text):
    with pytest.raises(CandleFileError, match="interval 5m does not match"):
        read_candles(btc_text.encode(), interval="5m")


def test_unsorted_rows_come_out_sorted(btc_text):
    lines = _lines(btc_text, 50)
    cf = read_candles("\n".join(reversed(lines)).encode())
    assert cf.frame.index.is_monotonic_increasing and len(cf.frame) == 50


def test_gap_report_counts_missing_candles():
    step = interval_ms("1h")
    ms = np.array([0, 1, 2, 5, 6, 10], dtype="int64") * step
    gaps = find_gaps(ms, "1h")
    assert [
        (g.start.value // 10**6 // step, g.end.value // 10**6 // step, g.missing) for g in gaps
    ] == [
        (3, 4, 2),
        (7, 9, 3),
    ]


def test_weekly_grid_is_monday_aligned():
    mondays = ["2024-01-01", "2024-01-08", "2024-01-15"]
    body = "date,open,high,low,close,volume\n" + "\n".join(f"{d},1,2,0.5,1.5,1" for d in mondays)
    assert read_candles(body.encode(), interval="1w").ok
    tuesdays = ["2024-01-02", "2024-01-09", "2024-01-16"]
    body = "date,open,high,low,close,volume\n" + "\n".join(f"{d},1,2,0.5,1.5,1" for d in tuesdays)
    assert read_candles(body.encode(), interval="1w").rejected_count == 3


def test_fast_path_and_general_path_agree(btc_text, monkeypatch):
    from engine.marketdata import csvfile

    lines = _lines(btc_text)
    mixed = "\n".join(lines[:3000] + [_to_us(line) for line in lines[3000:]])
    for text in (btc_text, mixed):
        fast = read_candles(text.encode())
        with monkeypatch.context() as m:
            m.setattr(csvfile, "_fast_binance", lambda *a: None)
            slow = read_candles(text.encode())
        pd.testing.assert_frame_equal(fast.frame, slow.frame)
        assert (fast.interval, fast.rows_total, fast.timestamp_units, fast.gaps) == (
            slow.interval,
            slow.rows_total,
            slow.timestamp_units,
            slow.gaps,
        )


def test_weekend_closed_markets_have_no_weekend_gaps():
    goog = read_candles(DATA / "GOOG-1d-2004-08_2013-03.csv", weekdays_only=True)
    every_day = read_candles(DATA / "GOOG-1d-2004-08_2013-03.csv")
    assert len(every_day.gaps) > 400  # each weekend, counted as if the market never closed
    # What remains are exchange holidays: about nine a year over 8.6 years, one day each.
    assert 60 <= len(goog.gaps) <= 100 and all(g.missing <= 3 for g in goog.gaps)
    assert all(g.start.day_of_week < 5 and g.end.day_of_week < 5 for g in goog.gaps)
    day = 86_400_000
    thu = 0  # 1970-01-01 was a Thursday: Thu, Fri, Mon present; Tue missing; Thu present
    ms = np.array([thu, thu + day, thu + 4 * day, thu + 7 * day], dtype="int64")
    gaps = find_gaps(ms, "1d", weekdays_only=True)
    assert [(g.start.day_name(), g.end.day_name(), g.missing) for g in gaps] == [
        ("Tuesday", "Wednesday", 2)
    ]
    assert len(find_gaps(ms, "1d")) == 2


@pytest.mark.parametrize("header", [False, True])
def test_leading_blank_lines_keep_line_numbers_true(header):
    rows = [
        "1699999200000,1,2,0.5,1.5,10",
        "1700002800000,1,2,0.5,1.5,10",
        "1700006400000,1,2,x,1.5,10",
    ]
    head = ["open_time,open,high,low,close,volume"] if header else []
    cf = read_candles(("\n\n" + "\n".join(head + rows) + "\n").encode())
    assert [(r.line, r.reason) for r in cf.rejected] == [(5 + header, "low is not a number")]
