import gzip
import re

import pytest
from django.test import override_settings

from apps.marketdata.models import Candle, CandleImport

pytestmark = pytest.mark.django_db


def test_unauthenticated_calls_are_refused(api_client):
    for url in [
        "/api/market-data/symbols/",
        "/api/market-data/candles/?symbol=BTCUSDT&interval=1h",
        "/api/market-data/imports/",
    ]:
        assert api_client.get(url).status_code in (401, 403)
    assert api_client.post("/api/market-data/imports/", {}).status_code in (401, 403)


def test_symbols_list_has_coverage(user_client, btc_candles):
    body = user_client.get("/api/market-data/symbols/").json()
    assert body["count"] == 1
    sym = body["results"][0]
    assert sym["name"] == "BTCUSDT" and sym["quote_asset"] == "USDT"
    cov = sym["coverage"][0]
    assert (cov["interval"], cov["count"], cov["first"], cov["last"], cov["gap_count"]) == (
        "1h",
        7477,
        "2020-08-01T23:00:00Z",
        "2021-06-09T23:00:00Z",
        7,
    )
    assert user_client.get("/api/market-data/symbols/btcusdt/").json()["name"] == "BTCUSDT"
    assert user_client.get("/api/market-data/symbols/NOPE/").status_code == 404


def test_candles_are_compact_bounded_and_ranged(user_client, btc_candles):
    r = user_client.get(
        "/api/market-data/candles/",
        {
            "symbol": "btcusdt",
            "interval": "1h",
            "start": "2021-01-01T00:00:00Z",
            "end": "2021-01-01T05:00:00Z",
        },
    )
    assert r.status_code == 200
    d = r.json()
    assert d["count"] == 6 and not d["truncated"]
    assert d["time_epoch_s"][0] == 1609459200 and d["o"][0] == 28923.63 and d["c"][0] == 28995.13
    assert set(d) == {
        "symbol",
        "interval",
        "resampled_from",
        "count",
        "truncated",
        "precision",
        "time_epoch_s",
        "o",
        "h",
        "l",
        "c",
        "v",
    }
    assert d["resampled_from"] is None and d["precision"] == 2
    capped = user_client.get(
        "/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "1h"}
    ).json()
    assert capped["count"] == 5000 and capped["truncated"]
    assert capped["time_epoch_s"][-1] == 1623279600  # the latest candle is always included
    small = user_client.get(
        "/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "1h", "limit": 3}
    ).json()
    assert small["count"] == 3 and small["truncated"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"interval": "1h"}, "symbol"),
        ({"symbol": "BTCUSDT"}, "interval"),
        ({"symbol": "BTCUSDT", "interval": "7h"}, "interval"),
        ({"symbol": "BTC USDT!", "interval": "1h"}, "symbol"),
        ({"symbol": "BTCUSDT", "interval": "1h", "start": "yesterday"}, "start"),
        (
            {
                "symbol": "BTCUSDT",
                "interval": "1h",
                "start": "2021-02-01T00:00:00Z",
                "end": "2021-01-01T00:00:00Z",
            },
            "end",
        ),
        ({"symbol": "BTCUSDT", "interval": "1h", "limit": "0"}, "limit"),
        ({"symbol": "BTCUSDT", "interval": "1h", "limit": "100000"}, "limit"),
        ({"symbol": "BTCUSDT", "interval": "1h", "limit": "abc"}, "limit"),
    ],
)
def test_bad_candle_queries_are_400_naming_the_field(user_client, params, field):
    r = user_client.get("/api/market-data/candles/", params)
    assert r.status_code == 400
    assert field in r.json()


def test_unknown_symbol_candles_is_404(user_client):
    assert (
        user_client.get(
            "/api/market-data/candles/", {"symbol": "NOPE", "interval": "1h"}
        ).status_code
        == 404
    )


def _upload(client, content: bytes, name="candles.csv", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "symbol": "ETHUSDT",
        **extra,
    }
    return client.post("/api/market-data/imports/", data, format="multipart")


def test_upload_imports_and_reports(importer_client, eth_1h_path, importer):
    r = _upload(
        importer_client, gzip.compress(eth_1h_path.read_bytes()), name="eth.csv.gz", interval="1h"
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["rows_inserted"], body["rows_present"], body["gap_count"]) == (
        "succeeded",
        7477,
        0,
        7,
    )
    assert CandleImport.objects.get(pk=body["id"]).user == importer
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"  # the report's one time format
    assert re.fullmatch(iso, body["first_time"]) and re.fullmatch(iso, body["last_time"])
    assert body["first_time"] < body["last_time"]
    again = _upload(importer_client, eth_1h_path.read_bytes()).json()
    assert (again["rows_inserted"], again["rows_present"]) == (0, 7477)
    listed = importer_client.get("/api/market-data/imports/").json()
    assert listed["count"] == 2
    assert (
        importer_client.get(f"/api/market-data/imports/{body['id']}/").json()["sha256"]
        == body["sha256"]
    )


def test_upload_of_a_broken_file_is_400_with_the_line(importer_client, btc_1h_lines):
    lines = list(btc_1h_lines[:10])
    f = lines[4].split(",")
    f[1] = "abc"
    lines[4] = ",".join(f)
    r = _upload(importer_client, "\n".join(lines).encode())
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "rejected" and body["rejections"] == [
        {"line": 5, "reason": "open is not a number"}
    ]
    assert Candle.objects.count() == 0


def test_upload_without_permission_is_403(user_client, eth_1h_path):
    r = _upload(user_client, eth_1h_path.read_bytes())
    assert r.status_code == 403 and "import" in r.json()["detail"]
    assert Candle.objects.count() == 0


@override_settings(MARKETDATA_UPLOAD_MAX_BYTES=1000)
def test_upload_over_the_cap_is_refused(importer_client, eth_1h_path):
    r = _upload(importer_client, eth_1h_path.read_bytes())
    assert r.status_code in (400, 413)
    assert "limit" in str(r.json()["file"])
    assert Candle.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "extra", "field"),
    [
        (b"", {}, "file"),
        (b"x", {"symbol": ""}, "symbol"),
        (b"x", {"interval": "2x"}, "interval"),
    ],
)
def test_upload_bad_fields_are_400(importer_client, content, extra, field):
    r = _upload(importer_client, content, **extra)
    assert r.status_code == 400 and field in r.json()


def test_imports_of_other_users_are_hidden(importer_client, eth_1h_path, other_user, client_for):
    body = _upload(importer_client, eth_1h_path.read_bytes()).json()

    other = client_for(other_user)
    assert other.get(f"/api/market-data/imports/{body['id']}/").status_code == 404
    assert other.get("/api/market-data/imports/").json()["count"] == 0


def test_candles_with_indicators(user_client, btc_candles):
    from apps.marketdata.selectors import candles_frame
    from engine.indicators import ema, rsi

    r = user_client.get(
        "/api/market-data/candles/",
        {"symbol": "BTCUSDT", "interval": "1h", "limit": 50, "indicators": "rsi:14,ema:20,macd"},
    )
    assert r.status_code == 200, r.json()
    d = r.json()
    assert set(d["indicators"]) == {
        "rsi(14)",
        "ema(20)",
        "macd(12,26,9)",
        "macd(12,26,9).signal",
        "macd(12,26,9).hist",
    }
    assert all(len(v) == 50 for v in d["indicators"].values())
    full = candles_frame(symbol="BTCUSDT", interval="1h")
    assert d["indicators"]["rsi(14)"][-1] == pytest.approx(rsi(full["close"], 14)[-1], abs=1e-6)
    assert d["indicators"]["ema(20)"][-1] == pytest.approx(ema(full["close"], 20)[-1], rel=1e-9)
    early = user_client.get(
        "/api/market-data/candles/",
        {
            "symbol": "BTCUSDT",
            "interval": "1h",
            "start": "2020-08-01T23:00:00Z",
            "end": "2020-08-02T10:00:00Z",
            "indicators": "rsi:14",
        },
    )
    assert early.status_code == 200, early.json()
    e = early.json()
    assert (
        e["time_epoch_s"][0] == 1596322800
        and len(e["time_epoch_s"]) == 12
        and e["indicators"]["rsi(14)"][0] is None
    )
    bad = user_client.get(
        "/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "1h", "indicators": "emma:3"}
    )
    assert bad.status_code == 400 and "indicators" in bad.json()


def test_higher_interval_candles_are_built_from_stored_lower_ones(user_client, btc_candles):
    """4h bars of a symbol stored at 1h: complete bars only, each the four hours it spans."""
    from apps.marketdata.selectors import candles_frame

    hours = candles_frame(symbol="BTCUSDT", interval="1h")
    r = user_client.get(
        "/api/market-data/candles/",
        {
            "symbol": "BTCUSDT",
            "interval": "4h",
            "start": "2021-01-01T00:00:00Z",
            "end": "2021-01-01T23:59:00Z",
        },
    )
    assert r.status_code == 200, r.json()
    d = r.json()
    assert d["resampled_from"] == "1h" and d["count"] == 6
    assert (
        d["time_epoch_s"][0] == 1609459200
        and d["time_epoch_s"][1] - d["time_epoch_s"][0] == 4 * 3600
    )
    first4 = hours.loc["2021-01-01 00:00":"2021-01-01 03:00"]
    assert d["o"][0] == first4["open"].iloc[0] and d["c"][0] == first4["close"].iloc[-1]
    assert d["h"][0] == first4["high"].max() and d["l"][0] == first4["low"].min()
    assert d["v"][0] == pytest.approx(first4["volume"].sum())
    # The latest bars: the last one shown is complete (its last hour is stored).
    latest = user_client.get(
        "/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "4h", "limit": 3}
    ).json()
    last_hour = int(hours.index[-1].timestamp())
    assert latest["count"] == 3 and latest["time_epoch_s"][-1] + 3 * 3600 <= last_hour
    assert latest["time_epoch_s"][-1] + 4 * 3600 > last_hour - 3 * 3600
    # Indicators on resampled bars work too.
    ind = user_client.get(
        "/api/market-data/candles/",
        {"symbol": "BTCUSDT", "interval": "1d", "limit": 10, "indicators": "rsi:14"},
    ).json()
    assert ind["resampled_from"] == "1h" and len(ind["indicators"]["rsi(14)"]) == 10
    # Nothing finer to build from: empty, not an error.
    none = user_client.get("/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "1m"})
    assert none.status_code == 200 and none.json()["count"] == 0
