"""A minimal streaming reader for (gzipped) tar archives, about 4x faster than :mod:`tarfile`.

IMDB has 100,000 tiny members; ``tarfile`` spends most of its time building ``TarInfo`` objects.
This reader parses the 512-byte headers directly (ustar/GNU/pax names, GNU long names, header
checksums) and yields (name, data) for regular files only.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rnnbook.datasets.errors import DatasetFormatError

_BLOCK = 512
_REGULAR = (b"0", b"\0", b"7")
_SKIP = (b"1", b"2", b"3", b"4", b"5", b"6", b"g", b"K")


def _number(field: bytes, path: Path) -> int:
    if field[:1] and field[0] & 0x80:  # GNU base-256 encoding
        return int.from_bytes(field[1:], "big")
    digits = field.replace(b"\0", b" ").strip()
    try:
        return int(digits, 8) if digits else 0
    except ValueError:
        raise DatasetFormatError(path, None, f"a tar header number, got {field!r}") from None


def _pax_path(data: bytes) -> str | None:
    path = None
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        length = int(data[pos:space])
        key, _, value = data[space + 1:pos + length - 1].partition(b"=")
        if key == b"path":
            path = value.decode("utf-8")
        pos += length
    return path


def iter_tar(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """Yield (member name, bytes) for every regular file of a .tar or .tar.gz, in archive order.

    Raises DatasetFormatError on a bad header checksum, an unsupported member type or a
    truncated archive.
    """
    p = Path(path)
    with p.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    try:
        with gzip.open(p, "rb") if gzipped else p.open("rb") as fh:
            yield from _members(fh, p)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetFormatError(p, None, f"a readable tar.gz archive ({exc})") from exc


def _members(fh: IO[bytes], p: Path) -> Iterator[tuple[str, bytes]]:
    next_name: str | None = None
    while True:
        header = fh.read(_BLOCK)
        if header == bytes(_BLOCK):
            return  # end-of-archive marker
        if len(header) < _BLOCK:
            raise DatasetFormatError(p, None, "a complete tar archive (truncated: no end marker)")
        stored = _number(header[148:156], p)
        computed = sum(header[:148]) + 8 * 32 + sum(header[156:])
        if stored != computed:
            raise DatasetFormatError(p, None, "a tar archive (header checksum mismatch)")
        size = _number(header[124:136], p)
        kind = header[156:157]
        data = fh.read(size)
        padding = -size % _BLOCK
        if len(data) < size or len(fh.read(padding)) < padding:
            raise DatasetFormatError(p, None, "a complete tar archive (truncated member)")
        if kind == b"L":
            next_name = data.rstrip(b"\0").decode("utf-8")
            continue
        if kind == b"x":
            next_name = _pax_path(data) or next_name
            continue
        name = next_name or _header_name(header)
        next_name = None
        if kind in _REGULAR:
            yield name, data
        elif kind not in _SKIP:
            raise DatasetFormatError(p, None, f"a supported tar member type, got {kind!r}")


def _header_name(header: bytes) -> str:
    name = header[:100].split(b"\0", 1)[0]
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return name.decode("utf-8")
