import pytest
from django.core.management import CommandError, call_command

from apps.marketdata.models import Candle

pytestmark = pytest.mark.django_db(transaction=True)


def test_import_candles_command_inserts_then_reports_zero(btc_1h_path, capsys):
    call_command("import_candles", str(btc_1h_path), "--symbol", "BTCUSDT", "--interval", "1h")
    out = capsys.readouterr().out
    assert "7477 inserted" in out and "gaps: 7" in out
    call_command("import_candles", str(btc_1h_path), "--symbol", "BTCUSDT", "--interval", "1h")
    assert "0 inserted, 7477 already present" in capsys.readouterr().out
    assert Candle.objects.count() == 7477


def test_import_candles_command_fails_on_a_rejected_file(tmp_path, btc_1h_lines):
    bad = tmp_path / "bad.csv"
    lines = list(btc_1h_lines[:5])
    f = lines[2].split(",")
    f[4] = "NaN"
    lines[2] = ",".join(f)
    bad.write_text("\n".join(lines))
    with pytest.raises(CommandError, match="line 3: close is NaN"):
        call_command("import_candles", str(bad), "--symbol", "BTCUSDT")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_candles", str(tmp_path / "missing.csv"), "--symbol", "BTCUSDT")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_candles", str(empty), "--symbol", "BTCUSDT")
    assert Candle.objects.count() == 0


def test_pages_need_login(client):
    for url in ["/", "/market-data/"]:
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_market_data_page_shows_coverage_chart_and_upload(client, importer, btc_candles):
    client.force_login(importer)
    r = client.get("/market-data/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "BTCUSDT" in html and "7,477" in html
    assert 'data-candles-chart data-symbol="BTCUSDT" data-interval="1h"' in html
    assert 'data-candles-url="/api/market-data/candles/"' in html
    assert "lightweight-charts.standalone.production.js" in html
    assert 'id="upload-form"' in html


def test_page_upload_rejects_a_bad_file_inline(client, importer, btc_1h_lines):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(importer)
    lines = list(btc_1h_lines[:5])
    f = lines[1].split(",")
    f[3] = "999999"
    lines[1] = ",".join(f)
    r = client.post(
        "/market-data/",
        {"file": SimpleUploadedFile("b.csv", "\n".join(lines).encode()), "symbol": "BTCUSDT"},
    )
    assert r.status_code == 200
    assert "line 2: low is above min(open, close)" in r.content.decode()
    ok = client.post(
        "/market-data/",
        {
            "file": SimpleUploadedFile("g.csv", "\n".join(btc_1h_lines[:5]).encode()),
            "symbol": "BTCUSDT",
        },
    )
    assert ok.status_code == 302 and Candle.objects.count() == 5


def test_page_upload_without_permission_stores_nothing(client, user, btc_1h_lines):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(user)
    r = client.post(
        "/market-data/",
        {
            "file": SimpleUploadedFile("g.csv", "\n".join(btc_1h_lines[:5]).encode()),
            "symbol": "BTCUSDT",
        },
    )
    assert r.status_code == 302 and Candle.objects.count() == 0
    assert 'id="upload-form"' not in client.get("/market-data/").content.decode()


def test_dashboard_shows_each_symbol_with_a_chart(client, user, btc_candles):
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "BTCUSDT" in html and 'data-candles-chart data-symbol="BTCUSDT"' in html


def test_a_large_upload_streams_to_a_temporary_file_and_the_form_states_the_limit(
    client, importer, btc_1h_path, settings, monkeypatch
):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE the file goes to disk as it arrives (the path a
    100 MB CSV takes); the page states the cap and gives it to the progress script."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # the shipped file is ~1 MB
    settings.MARKETDATA_UPLOAD_MAX_BYTES = 3 * 1024 * 1024
    spooled = []
    real = TemporaryFileUploadHandler.new_file

    def spy(self, *args, **kwargs):
        spooled.append(True)
        return real(self, *args, **kwargs)

    client.force_login(importer)
    page = client.get("/market-data/").content.decode()
    assert 'data-max-bytes="3145728"' in page and "Uploads up to 3 MiB" in page
    assert "js/marketdata/upload.js" in page
    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", spy)
    with open(btc_1h_path, "rb") as fh:
        r = client.post("/market-data/", {"file": fh, "symbol": "BTCUSDT", "interval": "1h"})
    assert r.status_code == 302 and spooled
    assert Candle.objects.count() == 7477
