"""Hostile candle uploads (issue 12, findings 1, 2 and the year-9999 timestamp of 7).

Decompression bombs are built at small scale against small caps; their cost is measured as
the peak RSS of a fresh interpreter that reads the bomb, against a control interpreter that
imports a small good file (the same imports, the same pandas warm-up), so an implementation
that inflates a whole member to measure it fails however fast it is.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from apps.marketdata.models import Candle, CandleImport
from apps.marketdata.throttles import UploadRateThrottle
from engine.marketdata import CandleFileError, ReadLimits, read_candles

ROOT = Path(__file__).resolve().parents[2]
BTC = ROOT / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"
MiB = 1 << 20
SMALL = {"max_bytes": 1 * MiB}  # the ratio floor (16 MiB) stays above it: the size cap binds
# A valid Binance row, repeated: text that compresses ~300x, like the reported 308 KB bomb.
ROW = b"1699999200000,1.0,2.0,0.5,1.5,10.0,1700002799999,0,0,0,0,0\n"
BOMB_BYTES = 32 * MiB
# What a rejected bomb may add to the peak RSS of a control import of a small good file.
BOMB_MEMORY_SLACK_KB = 8 * 1024

_MEASURE = r"""
import json, sys
from engine.marketdata import CandleFileError, ReadLimits, read_candles

def peak_kb():
    # VmHWM belongs to this process's memory map; ru_maxrss would carry over the RSS of
    # the pytest process that spawned it.
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))

raw = open(sys.argv[1], "rb").read()
limits = ReadLimits(**json.loads(sys.argv[2]))
before = peak_kb()
try:
    outcome = "ok: %d rows" % read_candles(raw, limits=limits).rows_total
except CandleFileError as exc:
    outcome = str(exc)
print(json.dumps({"outcome": outcome, "before_kb": before, "peak_kb": peak_kb()}))
"""


def _measure(path: Path, limits: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), json.dumps(limits)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def control(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("control") / "good.csv.gz"
    path.write_bytes(gzip.compress(b"\n".join(BTC.read_bytes().splitlines()[:500]), mtime=0))
    result = _measure(path, SMALL)
    assert result["outcome"] == "ok: 500 rows"
    return result


def _text_bomb(size: int = BOMB_BYTES) -> bytes:
    return ROW * (size // len(ROW))


def _gzip_stream(chunks) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) as gz:
        for chunk in chunks:
            gz.write(chunk)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _assert_bounded(result: dict, control: dict) -> None:
    grew = result["peak_kb"] - result["before_kb"]
    assert grew < BOMB_MEMORY_SLACK_KB, result
    assert result["peak_kb"] < control["peak_kb"] + BOMB_MEMORY_SLACK_KB, (result, control)


def _bomb_gz() -> bytes:
    block = _text_bomb(MiB)
    return _gzip_stream(block for _ in range(BOMB_BYTES // MiB))


def _bomb_multi_member_gz() -> bytes:
    # 32 members of 1 MiB each: every member alone is within the cap, together they are not.
    one = gzip.compress(_text_bomb(MiB - len(ROW)), mtime=0)
    return one * (BOMB_BYTES // MiB)


def _bomb_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("klines.csv", "w") as fh:
            block = _text_bomb(MiB)
            for _ in range(BOMB_BYTES // MiB):
                fh.write(block)
    return out.getvalue()


def _lying_zip() -> bytes:
    """A bomb whose headers declare 100 bytes: the declared size must not be trusted."""
    raw = bytearray(_bomb_zip())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0]
    struct.pack_into("<I", raw, info.header_offset + 22, 100)  # local header, uncompressed
    cd = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, cd + 24, 100)  # central directory, uncompressed
    return bytes(raw)


@pytest.mark.parametrize(
    ("kind", "make", "expected"),
    [
        ("gz", _bomb_gz, "the file expands beyond 1 MiB when decompressed; the limit is 1 MiB"),
        ("multi-member gz", _bomb_multi_member_gz, "the file expands beyond 1 MiB"),
        ("zip", _bomb_zip, "the file expands beyond 1 MiB"),
        ("zip with lying sizes", _lying_zip, "the zip file is corrupt"),
    ],
)
def test_decompression_bomb_is_refused_within_bounded_memory(
    tmp_path, control, kind, make, expected
):
    path = tmp_path / "bomb"
    path.write_bytes(make())
    assert path.stat().st_size < 2 * MiB  # a 32 MiB payload in a small upload
    result = _measure(path, SMALL)
    assert expected in result["outcome"], result
    _assert_bounded(result, control)


def test_many_member_zip_is_refused_before_its_directory_is_parsed(tmp_path, control):
    path = tmp_path / "many.zip"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(40_000):
            zf.writestr(f"m{i}.csv", b"")
    path.write_bytes(out.getvalue())
    result = _measure(path, SMALL)
    assert result["outcome"] == "the zip archive holds 40000 entries; the limit is 16"
    _assert_bounded(result, control)


def test_compression_ratio_refuses_a_text_bomb_under_the_size_cap():
    # The reported case at small scale: text that expands ~300x, below the size cap.
    bomb = gzip.compress(_text_bomb(8 * MiB), mtime=0)
    limits = ReadLimits(max_bytes=256 * MiB, ratio_floor=1 * MiB)
    with pytest.raises(CandleFileError, match="more than 100 times its compressed size"):
        read_candles(bomb, limits=limits)


def test_default_caps_admit_a_full_size_kline_archive_ratio():
    # A 1M-row 1m kline CSV is ~130 MB: within 256 MiB, and real files compress <25x.
    limits = ReadLimits()
    assert limits.expanded_cap(130 * MiB // 25) >= 130 * MiB
    assert limits.expanded_cap(1_043_663) < 128 * MiB  # the reported 1 MB -> 1 GiB bomb


def test_good_archives_still_read_the_same_candles():
    plain = BTC.read_bytes()
    expected = read_candles(plain).frame
    half = len(plain) // 2
    cut = plain.index(b"\n", half) + 1
    for data in (
        gzip.compress(plain, mtime=0),
        gzip.compress(plain[:cut], mtime=0) + gzip.compress(plain[cut:], mtime=0),  # multi-member
        gzip.compress(plain, mtime=0) + b"\x00" * 512,  # zero padding, as gzip(1) allows
        _zip({"__MACOSX/._k.csv": b"x", "dir/k.csv": plain}),
    ):
        assert read_candles(data).frame.equals(expected)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(ROW * 3, mtime=0) + b"garbage", "not another gzip member"),
        (gzip.compress(ROW * 3, mtime=0)[:-10], "gzip file is truncated"),
        (_zip({"k.csv.gz": gzip.compress(ROW * 3, mtime=0)}), "holds another archive (k.csv.gz)"),
        (_zip({"k.csv": gzip.compress(ROW * 3, mtime=0)}), "holds another archive (k.csv)"),
        (_zip({"k.csv": _zip({"in.csv": ROW})}), "holds another archive"),
        (_zip({f"{i}.txt": b"" for i in range(17)}), "holds 17 entries; the limit is 16"),
    ],
)
def test_malformed_and_nested_archives_are_named(data, message):
    with pytest.raises(CandleFileError) as err:
        read_candles(data)
    assert message in str(err.value)


def _wide_row_file() -> bytes:
    # The reported file: a 6-column header and one row of 200,001 fields, ~400 KB.
    return b"open_time,open,high,low,close,volume\n" + b",".join([b"1"] * 200_001) + b"\n"


def test_one_wide_row_is_refused_before_parsing_naming_the_line():
    data = _wide_row_file()
    tracemalloc.start()
    try:
        read_candles(data)
    except CandleFileError as exc:
        error = str(exc)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert error == "line 2 has more than 64 columns; a candle file has 6 to 12"
    # pandas took ~180 s and +2.5 GB on this file; the check costs a few copies of 400 KB.
    assert peak < 8 * MiB


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"t,open,high,low,close,volume\n1," + b"9" * 5000 + b",1,1,1,1\n", "line 2 is longer"),
        (b"\n\n" + b",".join([b"1"] * 65) + b"\n", "line 3 has more than 64 columns"),
        (ROW * 3 + b"1" * 4097, "line 4 is longer than 4096 bytes"),
    ],
)
def test_long_lines_and_wide_rows_are_named(data, message):
    with pytest.raises(CandleFileError) as err:
        read_candles(data)
    assert str(err.value).startswith(message)


def test_line_limits_allow_a_line_exactly_at_the_cap_with_crlf():
    lines = BTC.read_bytes().splitlines()[:3]
    pad = lines[0] + b"," + b"0" * (200 - len(lines[0]) - 1)
    assert len(pad) == 200
    limits = ReadLimits(max_line_bytes=200, max_columns=13)
    cf = read_candles(b"\r\n".join([pad, *lines[1:]]) + b"\r\n", limits=limits)
    assert cf.ok and cf.rows_total == 3


OUT_OF_RANGE = "the time is out of range: dates must fall between 1677-09-22 and 2262-04-11"
GOOD_MS = ["1699999200000", "1700002800000", "1700006400000"]


def _rows(times: list[str], header: bool) -> bytes:
    head = ["open_time,open,high,low,close,volume"] if header else []
    return ("\n".join(head + [f"{t},1,2,0.5,1.5,10" for t in times]) + "\n").encode()


@pytest.mark.parametrize("header", [False, True], ids=["fast path", "general path"])
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("32503680000000", OUT_OF_RANGE),  # ms in the year 3000
        ("32503680000", OUT_OF_RANGE),  # s in the year 3000
        ("1e30", OUT_OF_RANGE),  # was silently stored as 1970-01-01
        ("1" + "0" * 30, OUT_OF_RANGE),
        ("inf", OUT_OF_RANGE),
        ("-1699999200000", "the time is not an epoch number or an ISO date"),
    ],
)
def test_absurd_epoch_times_are_rejected_rows(header, bad, reason):
    cf = read_candles(_rows([*GOOD_MS, bad], header), interval="1h")
    line = 5 if header else 4
    assert [(r.line, r.reason) for r in cf.rejected] == [(line, reason)]
    assert len(cf.frame) == 3


@pytest.mark.parametrize("when", ["9999-12-31T00:00:00Z", "3000-01-01", "9999-12-31 23:00"])
def test_iso_time_in_the_year_9999_is_a_rejected_row(when):
    iso = ["2023-11-14T22:00:00Z", "2023-11-14T23:00:00Z", "2023-11-15T00:00:00Z"]
    data = _rows([*iso, when], header=True).replace(b"open_time,", b"date,")
    cf = read_candles(data)
    assert [(r.line, r.reason) for r in cf.rejected] == [(5, OUT_OF_RANGE)]


@pytest.mark.parametrize(
    "epoch", ["253402214400", "253402214400000", "253402214400000000"], ids=["s", "ms", "us"]
)
def test_epoch_in_the_year_9999_is_a_rejected_row(epoch):
    # Units are told apart by magnitude (SPEC §3): a year-9999 epoch reads as the next finer
    # unit (1978-01-12 01:50:14.4), which is on no interval's grid: a rejected row either way.
    cf = read_candles(_rows([*GOOD_MS, epoch], header=False), interval="1h")
    assert [r.line for r in cf.rejected] == [4]


# --- through the product: the API, the page, the settings, the shared throttle ---


def _api_upload(client, content: bytes, name="bomb.csv.gz"):
    return client.post(
        "/api/market-data/imports/",
        {"file": SimpleUploadedFile(name, content), "symbol": "BTCUSDT"},
        format="multipart",
    )


def _page_upload(client, content: bytes, name="bomb.csv.gz"):
    return client.post(
        "/market-data/", {"file": SimpleUploadedFile(name, content), "symbol": "BTCUSDT"}
    )


@pytest.mark.django_db
@override_settings(MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES=1 * MiB)
def test_api_and_page_refuse_a_bomb_with_the_limit_named(importer_client, client, importer):
    bomb = gzip.compress(_text_bomb(4 * MiB), mtime=0)
    r = _api_upload(importer_client, bomb)
    assert r.status_code == 400
    assert r.json()["error"].startswith("the file expands beyond 1 MiB when decompressed")
    client.force_login(importer)
    page = _page_upload(client, bomb)
    assert page.status_code == 200
    assert "the file expands beyond 1 MiB" in page.content.decode()
    assert Candle.objects.count() == 0
    assert list(CandleImport.objects.values_list("status", flat=True)) == ["rejected"] * 2


@pytest.mark.django_db
def test_api_refuses_the_wide_row_naming_the_line(importer_client):
    r = _api_upload(importer_client, _wide_row_file(), name="wide.csv")
    assert r.status_code == 400
    assert r.json()["error"] == "line 2 has more than 64 columns; a candle file has 6 to 12"


@pytest.mark.django_db
@override_settings(
    MARKETDATA_UPLOAD_MAX_BYTES=10 * MiB,
    MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES=128 * MiB,
    MARKETDATA_UPLOAD_MAX_MEMBERS=4,
    MARKETDATA_CSV_MAX_COLUMNS=20,
    MARKETDATA_CSV_MAX_LINE_BYTES=512,
)
def test_the_limits_are_settings_stated_on_the_form_and_in_the_schema(client, importer):
    client.force_login(importer)
    html = client.get("/market-data/").content.decode()
    for text in ("10 MiB", "128 MiB", "4 entries per zip", "20 columns", "512 bytes per line"):
        assert text in html
    r = _page_upload(client, b",".join([b"1"] * 21) + b"\n", name="w.csv")
    assert "line 1 has more than 20 columns" in r.content.decode()


@pytest.mark.django_db
def test_the_api_description_states_the_limits(user_client):
    schema = user_client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/market-data/imports/"]["post"]
    assert "256 MiB once decompressed" in post["description"]
    assert "64 columns and 4096 bytes per line" in post["description"]


@pytest.mark.django_db
@override_settings(MARKETDATA_UPLOAD_MAX_BYTES=1024)
def test_page_refuses_an_oversize_body_with_413(client, importer):
    client.force_login(importer)
    r = _page_upload(client, b"x" * 200_000, name="big.csv")
    assert r.status_code == 413
    assert "over the limit of 1024 bytes (200" in r.content.decode()
    assert CandleImport.objects.count() == 0


@pytest.mark.django_db
@override_settings(MARKETDATA_UPLOAD_MAX_BYTES=100_000)
def test_a_file_just_over_the_cap_is_413_not_a_missing_file(client, importer, importer_client):
    # Within the multipart allowance (64 KiB), so only the parser's own cap catches it.
    client.force_login(importer)
    page = _page_upload(client, b"1" * 120_000, name="big.csv")
    assert page.status_code == 413 and "over the limit of 100000 bytes" in page.content.decode()
    api = _api_upload(importer_client, b"1" * 120_000, name="big.csv")
    assert api.status_code == 413
    assert api.json()["file"] == ["the file is over the limit of 100000 bytes"]
    assert CandleImport.objects.count() == 0


@pytest.fixture
def upload_rate_3_per_hour(monkeypatch):
    monkeypatch.setattr(UploadRateThrottle, "THROTTLE_RATES", {"upload": "3/hour"})
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_page_and_api_share_one_upload_allowance(
    client, importer, importer_client, upload_rate_3_per_hour
):
    client.force_login(importer)
    good = b"\n".join(BTC.read_bytes().splitlines()[:5])
    assert _page_upload(client, good, name="a.csv").status_code == 302
    assert _api_upload(importer_client, good, name="b.csv").status_code == 201
    assert _page_upload(client, good, name="c.csv").status_code == 302
    page = _page_upload(client, good, name="d.csv")
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 3600
    assert "Too many uploads: the limit is 3/hour" in page.content.decode()
    api = _api_upload(importer_client, good, name="e.csv")
    assert api.status_code == 429 and 0 < int(api["Retry-After"]) <= 3600
    assert CandleImport.objects.count() == 3


@pytest.mark.django_db
def test_page_throttle_does_not_count_users_without_the_permission(
    client, user, upload_rate_3_per_hour
):
    client.force_login(user)
    for _ in range(5):
        assert _page_upload(client, b"x", name="a.csv").status_code == 302


def _mutations(seed: bytes, rng, count: int):
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            op = rng.random()
            if op < 0.6:
                data[at] = rng.randrange(256)
            elif op < 0.8:
                del data[at : at + rng.randint(1, 50)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        yield bytes(data)


@pytest.mark.parametrize(
    "method",
    [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, "gzip"],
)
def test_corrupted_archives_are_candle_file_errors_never_crashes(method):
    # zipfile raised ValueError ("negative seek value") on a mangled header: a 500.
    import random

    plain = b"\n".join(BTC.read_bytes().splitlines()[:50]) + b"\n"
    if method == "gzip":
        seed = gzip.compress(plain, mtime=0) * 2
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=method) as zf:
            zf.writestr("a.csv", plain)
        seed = out.getvalue()
    for data in _mutations(seed, random.Random(method if method == "gzip" else int(method)), 300):
        try:
            read_candles(data)
        except CandleFileError:
            pass


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["time,open,high,low,close,volume", "1699999200000,1,2,0.5,1.5,10,7,8"], "line 2 has 8"),
        (["", "time,open,high,low,close,volume", "1699999200000,1,2,0.5,1.5,10,7"], "line 3 has 7"),
    ],
)
def test_a_first_row_wider_than_the_header_is_named_not_shifted(lines, message):
    # pandas made the extra fields an index and shifted every column (one index level per
    # extra field: the 200,001-field row built a 199,995-level index).
    rest = ["1700002800000,1,2,0.5,1.5,10", "1700006400000,1,2,0.5,1.5,10"]
    with pytest.raises(CandleFileError) as err:
        read_candles(("\n".join(lines + rest) + "\n").encode())
    assert str(err.value).startswith(message) and "the header has 6" in str(err.value)


@override_settings(MARKETDATA_UPLOAD_MAX_BYTES=64 * 1024, FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_oversize_file_is_not_spooled_past_the_cap(rf):
    # The page's body is parsed by the CSRF middleware before the view can refuse it: the
    # parser itself must stop, or a 10 GB body lands in a temporary file.
    big = SimpleUploadedFile("big.csv", b"1" * (1 * MiB))
    request = rf.post("/market-data/", {"csrfmiddlewaretoken": "t", "file": big})
    assert request.POST["csrfmiddlewaretoken"] == "t"  # fields before the file still parse
    assert "file" not in request.FILES
    small = rf.post("/market-data/", {"file": SimpleUploadedFile("s.csv", b"1" * 60_000)})
    assert small.FILES["file"].size == 60_000
