"""Higher bars built from stored lower ones: complete bars only, no look-ahead."""

import numpy as np
import pandas as pd
import pytest

from engine.strategy.resample import finer_source, resample_closed


def _hours(n: int, start: str = "2025-01-01 00:00") -> pd.DataFrame:
    index = pd.date_range(start, periods=n, freq="1h", tz="UTC", name="open_time")
    x = np.arange(n, dtype=float)
    return pd.DataFrame(
        {"open": x, "high": x + 0.5, "low": x - 0.5, "close": x + 0.25, "volume": np.ones(n)},
        index=index,
    )


def test_a_4h_bar_is_the_four_hours_it_spans():
    bars = resample_closed(_hours(8), "1h", "4h")
    assert list(bars.index.strftime("%H:%M")) == ["00:00", "04:00"]
    first = bars.iloc[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        0.0,
        3.5,
        -0.5,
        3.25,
        4.0,
    )


def test_the_bar_still_forming_is_left_out():
    # 10 hours: 00-04, 04-08 complete; 08-12 has only 08:00 and 09:00 so far.
    bars = resample_closed(_hours(10), "1h", "4h")
    assert len(bars) == 2
    # Adding the rest of the third bar completes it; the earlier bars do not change.
    more = resample_closed(_hours(12), "1h", "4h")
    assert len(more) == 3
    pd.testing.assert_frame_equal(more.iloc[:2], bars)


def test_a_past_bin_with_a_gap_is_complete_once_the_data_has_passed_it():
    # 03:00 is missing: the 00-04 bar is still complete, since the data runs past 04:00.
    h = _hours(8).drop(pd.Timestamp("2025-01-01 03:00", tz="UTC"))
    bars = resample_closed(h, "1h", "4h")
    assert list(bars.index.strftime("%H:%M")) == ["00:00", "04:00"]
    assert (bars.iloc[0].close, bars.iloc[0].volume) == (2.25, 3.0)
    # The last bin missing its last hour is still forming: the data ends at 07:00.
    tail = resample_closed(_hours(8).drop(pd.Timestamp("2025-01-01 07:00", tz="UTC")), "1h", "4h")
    assert list(tail.index.strftime("%H:%M")) == ["00:00"]


def test_weeks_from_a_weekday_only_symbol():
    # Stocks/FX: Monday-Friday daily bars, no weekend. Three weeks, the third to Wednesday.
    days = pd.bdate_range("2025-01-06", periods=13, tz="UTC", name="open_time")  # Mon
    x = np.arange(13, dtype=float)
    frame = pd.DataFrame({"open": x, "high": x, "low": x, "close": x, "volume": x}, index=days)
    weeks = resample_closed(frame, "1d", "1w")
    assert list(weeks.index.strftime("%Y-%m-%d")) == ["2025-01-06", "2025-01-13"]
    assert list(weeks.close) == [4.0, 9.0]  # each Friday's close
    assert list(weeks.volume) == [10.0, 35.0]


def test_weeks_open_on_monday_from_days():
    days = pd.date_range("2025-01-06", periods=14, freq="1D", tz="UTC", name="open_time")  # Mon
    x = np.arange(14, dtype=float)
    frame = pd.DataFrame({"open": x, "high": x, "low": x, "close": x, "volume": x}, index=days)
    weeks = resample_closed(frame, "1d", "1w")
    assert [d.day_name() for d in weeks.index] == ["Monday", "Monday"]
    assert list(weeks.close) == [6.0, 13.0]


def test_the_source_is_the_coarsest_stored_interval_that_divides():
    assert finer_source("4h", ["1m", "1h", "1d"]) == "1h"
    assert finer_source("1d", ["1m", "15m"]) == "15m"
    assert finer_source("1h", ["4h", "1d"]) is None
    assert finer_source("1w", ["1d", "4h"]) == "1d"
    with pytest.raises(ValueError, match="cannot be built"):
        resample_closed(_hours(4), "4h", "1h")
