"""The page formatting layer: every value a page shows reads as a person expects."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.template import engines

from apps.core import formatting as f


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (12345.678, 2, "12,345.68"),
        (-0.001, 2, "0.00"),  # never "-0.00"
        (Decimal("1234567.5"), 0, "1,234,568"),
        (409.35522000000003, 4, "409.3552"),
        (None, 2, "—"),
        (float("nan"), 2, "—"),
        (True, 2, "—"),
    ],
)
def test_num(value, places, text):
    assert f.num(value, places) == text


def test_money_uses_the_currency_places():
    assert f.money(409.35522000000003, "usdt") == "409.36 USDT"
    assert f.money(Decimal("0E-8"), "BTC") == "0.00 BTC"
    assert f.money(10362.26, "BTC") == "10,362.26 BTC"
    assert f.money(22.6412, "ETH") == "22.6412 ETH"
    assert f.money(Decimal("0.012345678"), "BTC") == "0.01234568 BTC"
    assert f.money(None, "USDT") == "—"
    assert f.money(1500) == "1,500.00"


def test_price_and_quantity_follow_the_precision():
    assert f.price(0.08912, 5) == "0.08912"
    assert f.price(0.08912, 2) == "0.09"
    assert f.qty(1.239163223309) == "1.23916322"
    assert f.qty(Decimal("2.500000000000"), 8) == "2.5"
    assert f.qty(1200, 8) == "1,200"


def test_percentages_read_one_way():
    assert f.pct(12.3456) == "12.35%"
    assert f.pct(3.1, signed=True) == "+3.10%"
    assert f.pct(-3.1, signed=True) == "-3.10%"
    assert f.ratio_pct(0.512) == "51.2%"
    assert f.ratio_pct("0.5") == "50.0%"


def test_times_have_one_style_and_a_zone():
    t = datetime(2025, 8, 15, 7, 0, tzinfo=UTC)
    assert f.when(t) == "2025-08-15 07:00 UTC"
    assert f.when(datetime(2025, 8, 15, 7, 0)) == "2025-08-15 07:00 UTC"  # naive is UTC
    assert f.when(int(t.timestamp() * 1000)) == "2025-08-15 07:00 UTC"  # epoch ms
    assert f.when(t.timestamp()) == "2025-08-15 07:00 UTC"  # epoch s
    assert f.when("2025-08-15T07:00:30Z") == "2025-08-15 07:00:30 UTC"
    assert f.when(t, timezone(timedelta(hours=2), "CEST")) == "2025-08-15 09:00 CEST"
    assert f.when("not a time") == "—"
    assert f.day(t) == "2025-08-15"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1440000, "16 days, 16 hours"),
        (59, "59 seconds"),
        (3600, "1 hour"),
        (90061, "1 day, 1 hour"),
        (86400 + 60, "1 day"),
        (0, "0 seconds"),
        (0.2, "under a second"),
        (timedelta(minutes=5), "5 minutes"),
        (None, "—"),
    ],
)
def test_durations_in_words(seconds, text):
    assert f.duration(seconds) == text


def test_plain_never_shows_a_python_repr():
    assert f.plain(None) == "—"
    assert f.plain(False) == "no"
    assert f.plain(True) == "yes"
    text = f.plain({"fee_rate": 0.001, "slippage": None, "windows": [1, 2.5]})
    assert text == "Fee rate: 0.1%, Slippage: —, Windows: 1, 2.5"
    for repr_ in ("None", "False", "{'", "[", "0.001"):
        assert repr_ not in text
    assert f.auto_number(409.35522000000003) == "409.355"
    assert f.auto_number(0.000123456789) == "0.000123457"


def test_metrics_read_through_the_table():
    assert f.metric_label("max_drawdown_duration_seconds") == "Longest drawdown"
    assert f.metric_value(1440000, "max_drawdown_duration_seconds") == "16 days, 16 hours"
    assert f.metric_value(0.5123, "accuracy") == "51.2%"
    assert f.metric_value(-3.2, "total_return_pct") == "-3.20%"
    assert f.metric_value(1234.5, "final_balance", "USDT") == "1,234.50 USDT"
    assert f.metric_value(None, "sharpe") == "—"
    assert f.metric_help("sharpe").startswith("Mean bar return")
    assert f.metric_label("unknown_key_pct") == "Unknown key pct"
    assert f.metric_value(12.5, "unknown_key_pct") == "12.50%"
    rows = f.metric_rows({"sharpe": 1.23456, "num_trades": 1200})
    assert [r["value"] for r in rows] == ["1.23", "1,200"]


def test_decimals_of_finds_the_quoted_precision():
    assert f.decimals_of([0.08912, 0.0891, 0.089]) == 5
    assert f.decimals_of([64123.5, 64000.0]) == 1
    assert f.decimals_of([1e-12]) == 8
    assert f.decimals_of([]) == 0


def test_template_filters_are_the_functions():
    t = engines["django"].from_string(
        '{% load fmt %}{{ v|money:"USDT" }}|{{ r|ratio_pct }}|{{ s|duration }}|'
        '{{ k|metric_label }}|{% metric_value v "final_balance" "BTC" %}|{{ n|plain }}'
    )
    out = t.render({"v": 1234.5, "r": 0.512, "s": 3600, "k": "sharpe", "n": None})
    assert out == "1,234.50 USDT|51.2%|1 hour|Sharpe ratio|1,234.50 BTC|—"


@pytest.mark.django_db
def test_price_precision_reads_the_stored_candles(django_assert_max_num_queries):
    from apps.marketdata.models import Candle, Symbol
    from apps.marketdata.selectors import candles_frame, candles_payload, price_precision

    sym = Symbol.objects.create(name="ETHBTC", base_asset="ETH", quote_asset="BTC")
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    Candle.objects.bulk_create(
        Candle(
            symbol=sym,
            interval="1h",
            open_time=t0 + timedelta(hours=i),
            open=0.08912,
            high=0.08915,
            low=0.0891,
            close=0.089,
            volume=12.5,
        )
        for i in range(3)
    )
    assert price_precision(sym) == 5
    assert price_precision("ethbtc") == 5
    assert price_precision("NOPE") == 2
    assert price_precision(None) == 2
    # A chart payload given the Symbol it has reads no symbol by name (two reads: the
    # series rows, then the candles' intervals and prices; a name adds its lookup).
    frame = candles_frame(symbol=sym, interval="1h")
    with django_assert_max_num_queries(3):
        payload = candles_payload(frame, symbol=sym, interval="1h", truncated=False)
    assert payload["symbol"] == "ETHBTC" and payload["precision"] == 5


def test_numpy_scalars_read_like_python_numbers():
    """The engine hands out numpy scalars: np.float64's repr is "np.float64(0.5)" and
    np.int64 is no int, yet both format like the plain number."""
    import numpy as np

    from apps.core import formatting as f

    assert f.price(np.float64(0.0891234), 5) == "0.08912"
    assert f.num(np.int64(12345), 0) == "12,345"
    assert f.plain(np.float64(409.35522000000003)) == "409.355"
    assert f.plain(np.int64(7)) == "7"
    assert f.plain(np.bool_(False)) == "no"


def test_assumption_rows_read_as_words_and_units():
    from apps.core import formatting as f

    rows = {
        r["key"]: r
        for r in f.assumption_rows(
            {
                "fee_rate": 0.001,
                "slippage_bps": 2.0,
                "allow_short": False,
                "warmup_bars": 196,
                "fill": "next_open",
                "window": ["2024-01-01T00:00:00Z", "2025-10-06T17:00:00Z"],
                "stop_loss_pct": 3.0,
                "candles": 15474,
            }
        )
    }
    assert rows["fee_rate"]["value"] == "0.1% of the notional"
    assert rows["slippage_bps"]["value"] == "2 bps"
    assert rows["allow_short"]["value"] == "not allowed (long only)"
    assert rows["warmup_bars"]["value"] == "196 bars"
    assert rows["fill"]["value"] == "Next open"
    assert rows["window"]["value"] == "2024-01-01 00:00 UTC → 2025-10-06 17:00 UTC"
    assert rows["stop_loss_pct"]["value"] == "3.00%"
    assert rows["stop_loss_pct"]["help"]
    assert rows["candles"]["value"] == "15,474"


def test_numpy_floats_read_as_their_value():
    """numpy 2 reprs a float64 as "np.float64(37388.05)"; the engine hands them out."""
    import numpy as np

    from apps.core.api.fields import money_string
    from apps.core.formatting import to_decimal

    assert to_decimal(np.float64(37388.05)) == Decimal("37388.05")
    assert money_string(np.float64(409.35522000000003)) == "409.35522000"
    assert money_string(np.float64(-0.0)) == "0.00000000"


def test_amounts_beyond_28_digits_format_instead_of_raising():
    """A 1e15 balance on a sub-cent coin buys ~1e20 units: the API and the pages write it."""
    from apps.core.api.fields import money_string

    assert money_string(1e20) == "100000000000000000000.00000000"
    assert money_string(1e18, 10) == "1000000000000000000.0000000000"
    assert f.qty(1e20) == "100,000,000,000,000,000,000"
    assert f.price(1e20, 8) == "100,000,000,000,000,000,000.00000000"
