"""Bounded reading of untrusted candle files: the limits, and the checks that enforce them.

Owns what a file may cost before pandas sees it (SPEC §13): the size a ``.gz`` or ``.zip``
expands to, its compression ratio, the number of archive members, and the length and
column count of every line. Archives are inflated twice, chunk by chunk: a first pass only
counts the bytes and stops at the first one past the cap, so a rejected bomb costs a chunk
of memory and a fraction of a second; only a file within the caps is inflated for real, into
one buffer of the size the first pass measured. Declared sizes in archive headers are
checked early but never trusted. The line check is vectorised over blocks of the bytes.
"""

from __future__ import annotations

import io
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

KiB = 1 << 10
MiB = 1 << 20

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_ARCHIVE_MAGICS = (_GZIP_MAGIC, _ZIP_MAGIC, b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf", b"Rar!")
_ARCHIVE_SUFFIXES = (".gz", ".tgz", ".zip", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst")
_NOT_ZERO = re.compile(rb"[^\x00]")
_IN_STEP = 64 * KiB  # compressed bytes fed to zlib at a time (bounds unconsumed_tail copies)
_OUT_STEP = 1 * MiB  # decompressed bytes produced at a time
_SCAN_BLOCK = 4 * MiB  # bytes per vectorised step of the line check
# A central-directory entry is 46 bytes plus its name and extra fields: 4 KiB each is ample.
_ZIP_DIR_BYTES_PER_MEMBER = 4 * KiB


class CandleFileError(ValueError):
    """The file as a whole cannot be read (empty, binary, no OHLCV columns, over a limit...)."""


@dataclass(frozen=True)
class ReadLimits:
    """What one candle file may cost. The defaults admit a 1M-row Binance 1m kline CSV
    (12 columns, ~130 MB uncompressed, at most ~25x compressible) with room to spare.

    ``max_ratio`` applies once a file expands past ``ratio_floor``: real candle CSVs
    compress 3x (the shipped BTC file) to ~22x (a flat, zero-volume market), while a bomb
    compresses hundreds to a thousand times, so it is refused long before ``max_bytes``.
    """

    max_bytes: int = 256 * MiB
    max_ratio: int = 100
    ratio_floor: int = 16 * MiB
    max_members: int = 16
    max_columns: int = 64
    max_line_bytes: int = 4096

    def expanded_cap(self, compressed: int) -> int:
        """The most bytes a file of ``compressed`` bytes may expand to."""
        return min(self.max_bytes, max(self.ratio_floor, self.max_ratio * compressed))

    def describe(self) -> str:
        """One sentence for forms and API descriptions."""
        return (
            f"at most {size_text(self.max_bytes)} once decompressed and, past "
            f"{size_text(self.ratio_floor)}, {self.max_ratio}x its compressed size, "
            f"{self.max_members} entries per zip, "
            f"{self.max_columns} columns and {self.max_line_bytes} bytes per line"
        )


def size_text(n: int) -> str:
    for unit, name in ((1 << 30, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} bytes"


def decompress(raw: bytes, limits: ReadLimits) -> bytes | bytearray:
    """The file's bytes, inflated if it is a gzip or zip archive, within ``limits``."""
    if raw.startswith(_GZIP_MAGIC):
        return _inflate(lambda: _gzip_chunks(raw), len(raw), limits, "gzip")
    if raw.startswith(_ZIP_MAGIC):
        return _unzip(raw, limits)
    if len(raw) > limits.max_bytes:
        raise CandleFileError(
            f"the file is {len(raw)} bytes; the limit is {size_text(limits.max_bytes)}"
        )
    return raw


def _inflate(
    chunks: Callable[[], Iterator[bytes]], compressed: int, limits: ReadLimits, kind: str
) -> bytearray:
    cap = limits.expanded_cap(compressed)
    total = 0
    try:
        for chunk in chunks():  # first pass: count only, stop at the cap
            total += len(chunk)
            if total > cap:
                raise CandleFileError(_too_big(cap, compressed, limits))
        out = bytearray(total)
        view = memoryview(out)
        at = 0
        for chunk in chunks():  # second pass: the same bytes, into a buffer of known size
            view[at : at + len(chunk)] = chunk
            at += len(chunk)
    except CandleFileError:
        raise
    except (
        zlib.error,
        lzma.LZMAError,
        zipfile.BadZipFile,
        EOFError,  # a stream cut short
        OSError,  # bzip2 members report bad data so
        ValueError,  # zipfile: a local header offset that points before the file
        struct.error,
        OverflowError,
        NotImplementedError,  # zip: an unsupported compression method
        RuntimeError,  # zip: an encrypted member
    ) as exc:
        raise CandleFileError(f"the {kind} file is corrupt: {exc}") from None
    return out


def _too_big(cap: int, compressed: int, limits: ReadLimits) -> str:
    if cap == limits.max_bytes:
        return (
            f"the file expands beyond {size_text(cap)} when decompressed; "
            f"the limit is {size_text(limits.max_bytes)}"
        )
    return (
        f"the file expands to more than {limits.max_ratio} times its compressed size "
        f"({size_text(compressed)}); a candle file compresses far less "
        "(is it a decompression bomb?)"
    )


def _gzip_chunks(raw: bytes) -> Iterator[bytes]:
    """Every member of a (possibly multi-member) gzip stream, at most _OUT_STEP at a time.
    Zero padding after the last member is allowed (as gzip(1) does); other trailing bytes
    are an error."""
    data = memoryview(raw)
    pos = 0
    while True:
        d = zlib.decompressobj(wbits=31)  # gzip wrapper: header and CRC/size trailer checked
        while not d.eof:
            if pos >= len(data):
                raise CandleFileError("the gzip file is truncated")
            piece = data[pos : pos + _IN_STEP]
            pos += len(piece)
            while True:
                out = d.decompress(piece, _OUT_STEP)
                if out:
                    yield out
                if d.eof or (not d.unconsumed_tail and len(out) < _OUT_STEP):
                    break
                piece = d.unconsumed_tail  # at most _IN_STEP bytes
        pos -= len(d.unused_data)
        if pos >= len(data):
            return
        if data[pos : pos + 2] == _GZIP_MAGIC:
            continue
        if _NOT_ZERO.search(data[pos:]) is None:
            return
        raise CandleFileError(
            "the gzip file is corrupt: it has data after its end that is not another gzip member"
        )


def _zip_directory_check(raw: bytes, limits: ReadLimits) -> None:
    """Refuse an archive whose central directory declares too many entries (or is too big
    for the allowed entries) before zipfile parses it into one object per entry."""
    at = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 22 - 65535))
    if at < 0 or at + 22 > len(raw):
        return  # zipfile reports it as corrupt
    entries, dir_size = struct.unpack_from("<HI", raw, at + 10)
    zip64 = entries == 0xFFFF or dir_size == 0xFFFFFFFF
    if zip64 and at >= 20 and raw[at - 20 : at - 16] == b"PK\x06\x07":
        # Zip64: the real counts are in the zip64 end record the locator points to.
        (record,) = struct.unpack_from("<Q", raw, at - 12)
        if raw[record : record + 4] == b"PK\x06\x06" and record + 56 <= len(raw):
            entries, dir_size = struct.unpack_from("<QQ", raw, record + 32)
    if entries > limits.max_members:
        raise CandleFileError(
            f"the zip archive holds {entries} entries; the limit is {limits.max_members}"
        )
    if dir_size > limits.max_members * _ZIP_DIR_BYTES_PER_MEMBER:
        raise CandleFileError(
            f"the zip archive's directory is {dir_size} bytes, too large for at most "
            f"{limits.max_members} entries"
        )


def _unzip(raw: bytes, limits: ReadLimits) -> bytearray:
    _zip_directory_check(raw, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        struct.error,
        OverflowError,
        NotImplementedError,
    ) as exc:
        raise CandleFileError(f"the zip file is corrupt: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:  # the declared count may lie
            raise CandleFileError(
                f"the zip archive holds {len(infos)} entries; the limit is {limits.max_members}"
            )
        members = [m for m in infos if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        if not members:
            raise CandleFileError("the zip archive is empty")
        csvs = [m for m in members if m.filename.lower().endswith(".csv")]
        chosen = csvs or members
        if len(chosen) > 1:
            raise CandleFileError("the zip archive holds several files; upload one CSV per archive")
        info = chosen[0]
        if info.filename.lower().endswith(_ARCHIVE_SUFFIXES):
            raise CandleFileError(
                f"the zip archive holds another archive ({info.filename}); upload the CSV itself"
            )
        if info.flag_bits & 0x1:
            raise CandleFileError("the zip archive is encrypted; upload it without a password")
        cap = limits.expanded_cap(len(raw))
        if info.file_size > cap:  # declared: refuse early, but the stream is capped anyway
            raise CandleFileError(_too_big(cap, len(raw), limits))

        def chunks() -> Iterator[bytes]:
            with zf.open(info) as fh:
                first = True
                while chunk := fh.read(_OUT_STEP):
                    if first and chunk.startswith(_ARCHIVE_MAGICS):
                        raise CandleFileError(
                            f"the zip archive holds another archive ({info.filename}); "
                            "upload the CSV itself"
                        )
                    first = False
                    yield chunk

        return _inflate(chunks, len(raw), limits, "zip")


def check_lines(data: bytes | bytearray, limits: ReadLimits) -> None:
    """Refuse the first line longer than ``max_line_bytes`` or with more than
    ``max_columns`` comma-separated fields, naming it, before any CSV parser runs (pandas
    spends minutes and gigabytes on one row of 200,000 fields). Vectorised per block:
    newline and comma positions, then lengths and comma counts per line."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lines_before = 0  # complete lines in earlier blocks
    carry_len = 0  # bytes and commas of the line still open at the end of the last block
    carry_commas = 0
    max_commas = limits.max_columns - 1
    for start in range(0, len(arr), _SCAN_BLOCK):
        block = arr[start : start + _SCAN_BLOCK]
        nl = np.flatnonzero(block == 0x0A)
        commas = np.flatnonzero(block == 0x2C)
        starts = np.concatenate(([0], nl + 1))
        ends = np.concatenate((nl, [len(block)]))
        lengths = ends - starts
        counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
        lengths[0] += carry_len
        counts[0] += carry_commas
        # A \r before the \n is the line ending, not content.
        crlf = np.zeros(len(lengths), dtype=bool)
        crlf[:-1] = block[np.maximum(nl - 1, 0)] == 0x0D
        lengths = lengths - crlf
        too_long = np.flatnonzero(lengths > limits.max_line_bytes)
        too_wide = np.flatnonzero(counts > max_commas)
        if len(too_long) or len(too_wide):
            none = len(lengths)
            first_long = int(too_long[0]) if len(too_long) else none
            first_wide = int(too_wide[0]) if len(too_wide) else none
            line = lines_before + min(first_long, first_wide) + 1
            if first_wide <= first_long:
                raise CandleFileError(
                    f"line {line} has more than {limits.max_columns} columns; "
                    "a candle file has 6 to 12"
                )
            raise CandleFileError(
                f"line {line} is longer than {limits.max_line_bytes} bytes; "
                "a candle row is far shorter"
            )
        lines_before += len(nl)
        carry_len = int(lengths[-1])
        carry_commas = int(counts[-1])
