import numpy as np
import pandas as pd
import pytest

from apps.marketdata.models import Symbol
from apps.marketdata.selectors import candles_frame, symbol_coverage
from engine.marketdata import read_candles

pytestmark = pytest.mark.django_db(transaction=True)


def test_candles_frame_round_trips_the_file_exactly(btc_candles, btc_1h_path):
    frame = candles_frame(symbol="BTCUSDT", interval="1h")
    expected = read_candles(btc_1h_path).frame
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dt == np.float64 for dt in frame.dtypes)
    assert str(frame.index.tz) == "UTC" and frame.index.name == "open_time"
    assert frame.index.equals(expected.index)
    np.testing.assert_array_equal(frame.to_numpy(), expected.to_numpy())


def test_candles_frame_range_and_last(btc_candles):
    start = pd.Timestamp("2021-01-01 00:00", tz="UTC")
    end = pd.Timestamp("2021-01-01 23:00", tz="UTC")
    day = candles_frame(symbol="BTCUSDT", interval="1h", start=start, end=end)
    assert len(day) == 24 and day.index[0] == start and day.index[-1] == end
    last = candles_frame(symbol="BTCUSDT", interval="1h", last=10)
    full = candles_frame(symbol="BTCUSDT", interval="1h")
    pd.testing.assert_frame_equal(last, full.iloc[-10:])
    tail_of_range = candles_frame(symbol="BTCUSDT", interval="1h", end=end, last=3)
    assert list(tail_of_range.index) == list(day.index[-3:])


def test_candles_frame_unknown_symbol_or_interval_is_empty(btc_candles):
    assert candles_frame(symbol="NOPE", interval="1h").empty
    empty = candles_frame(symbol="BTCUSDT", interval="4h")
    assert empty.empty and list(empty.columns) == ["open", "high", "low", "close", "volume"]


def test_coverage_reports_first_last_count_and_gaps(btc_candles):
    cov = symbol_coverage(Symbol.objects.get(name="BTCUSDT"))
    assert len(cov) == 1
    c = cov[0]
    assert c.interval == "1h" and c.count == 7477
    assert c.first == pd.Timestamp("2020-08-01 23:00", tz="UTC")
    assert c.last == pd.Timestamp("2021-06-09 23:00", tz="UTC")
    assert c.gap_count == 7 and c.missing == sum(g["missing"] for g in c.gaps)
    assert c.gaps[0] == {
        "start": "2020-11-30T06:00:00Z",
        "end": "2020-11-30T06:00:00Z",
        "missing": 1,
    }


def test_a_stock_is_closed_at_weekends_in_the_import_report_and_the_coverage():
    from django.conf import settings

    from apps.marketdata.services import candles_import

    path = settings.BASE_DIR / "data" / "demo" / "GOOG-1d-2004-08_2013-03.csv"
    record = candles_import(source=path, symbol="GOOG", interval="1d")
    assert record.status == "succeeded" and record.symbol.asset_class == "stock"
    assert record.gap_count == 77  # exchange holidays, not the 400+ weekends
    (cov,) = symbol_coverage(Symbol.objects.get(name="GOOG"))
    assert cov.gap_count == 77 and cov.missing == 79
    assert all(pd.Timestamp(g["start"]).day_of_week < 5 for g in cov.gaps)
