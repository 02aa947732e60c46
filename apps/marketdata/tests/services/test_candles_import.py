"""The import service on a real database (SQLite here, PostgreSQL under make test-services)."""

import pandas as pd
import pytest

from apps.marketdata.models import Candle, CandleImport, Symbol
from apps.marketdata.selectors import candles_frame
from apps.marketdata.services import candles_import

pytestmark = pytest.mark.django_db(transaction=True)


def _to_us(line: str) -> str:
    # Binance spot files from 2025 on use µs; derived from the real rows (see data/demo/README.md).
    f = line.split(",")
    f[0] = str(int(f[0]) * 1000)
    f[6] = str(int(f[6]) * 1000 + 999)
    return ",".join(f)


def test_imports_every_row_then_nothing_on_reimport(btc_1h_path):
    first = candles_import(source=btc_1h_path, symbol="btcusdt", interval="1h")
    assert first.status == CandleImport.Status.SUCCEEDED
    assert (first.rows_total, first.rows_inserted, first.rows_present) == (7477, 7477, 0)
    assert first.gap_count == 7 and len(first.gaps) == 7
    assert Candle.objects.filter(symbol__name="BTCUSDT", interval="1h").count() == 7477
    again = candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h")
    assert (again.rows_inserted, again.rows_present, again.rows_conflicting) == (0, 7477, 0)
    assert Candle.objects.count() == 7477


def test_microsecond_copy_of_the_file_inserts_nothing(btc_1h_path, btc_1h_lines):
    candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h")
    us = "\n".join(_to_us(line) for line in btc_1h_lines).encode()
    record = candles_import(source=us, symbol="BTCUSDT", interval="1h", filename="us.csv")
    assert record.status == "succeeded" and record.timestamp_units == "us"
    assert (record.rows_inserted, record.rows_present) == (0, 7477)
    assert Candle.objects.count() == 7477


def test_a_broken_row_rejects_the_file_and_changes_nothing(btc_1h_path, btc_1h_lines):
    candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h")
    before = candles_frame(symbol="BTCUSDT", interval="1h")
    lines = list(btc_1h_lines[:100])
    # A new hour after the shipped range (would be inserted) plus a broken row.
    f = lines[10].split(",")
    f[2] = "1.0"  # high below low
    lines[10] = ",".join(f)
    record = candles_import(
        source="\n".join(lines).encode(), symbol="ETHUSDT", interval="1h", filename="bad.csv"
    )
    assert record.status == CandleImport.Status.REJECTED
    assert record.rows_rejected == 1 and record.rows_inserted == 0
    assert record.rejections == [{"line": 11, "reason": "high is below max(open, close)"}]
    assert "line 11" in record.error
    assert not Symbol.objects.filter(name="ETHUSDT").exists()
    pd.testing.assert_frame_equal(before, candles_frame(symbol="BTCUSDT", interval="1h"))


def test_unreadable_file_is_recorded_as_rejected(user):
    record = candles_import(source=b"\x00\x01binary", symbol="BTCUSDT", user=user, filename="x.bin")
    assert record.status == "rejected" and "binary" in record.error and record.user == user
    assert Candle.objects.count() == 0


def test_conflicting_values_are_counted_and_the_stored_ones_kept(btc_1h_lines):
    lines = list(btc_1h_lines[:20])
    candles_import(source="\n".join(lines).encode(), symbol="BTCUSDT", interval="1h")
    f = lines[5].split(",")
    original_close = float(f[4])
    f[4] = str(original_close * 1.001)
    f[2] = str(max(float(f[2]), float(f[4])))
    lines[5] = ",".join(f)
    record = candles_import(source="\n".join(lines).encode(), symbol="BTCUSDT", interval="1h")
    assert (record.rows_inserted, record.rows_present, record.rows_conflicting) == (0, 20, 1)
    # With a new candle beside the conflicting one, both are still reported.
    lines.append(btc_1h_lines[20])
    record = candles_import(source="\n".join(lines).encode(), symbol="BTCUSDT", interval="1h")
    assert (record.rows_inserted, record.rows_present, record.rows_conflicting) == (1, 20, 1)
    assert candles_frame(symbol="BTCUSDT", interval="1h")["close"].iloc[5] == original_close


def test_symbol_fields_are_guessed_and_validated():
    from django.core.exceptions import ValidationError

    from apps.marketdata.services import symbol_get_or_create

    s = symbol_get_or_create(name="ethbtc")
    assert (s.name, s.base_asset, s.quote_asset, s.asset_class) == (
        "ETHBTC",
        "ETH",
        "BTC",
        "crypto",
    )
    g = symbol_get_or_create(name="GOOG")
    assert g.asset_class == "stock"
    with pytest.raises(ValidationError) as exc:
        symbol_get_or_create(name="bad symbol!")
    assert "symbol" in exc.value.message_dict
