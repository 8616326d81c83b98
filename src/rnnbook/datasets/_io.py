"""Small file helpers shared by the parsers: gzip-aware text reading; atomic writes."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rnnbook.atomic import atomic_path
from rnnbook.datasets.errors import DatasetFormatError

__all__ = ["GZIP_ERRORS", "atomic_path", "open_text"]

# what gzip raises on a truncated or damaged stream
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


@contextmanager
def open_text(path: str | Path) -> Iterator[IO[str]]:
    """Open a UTF-8 text file for reading, transparently gunzipping ``*.gz``.

    A truncated or damaged ``.gz`` raises :class:`DatasetFormatError` naming the file.
    """
    p = Path(path)
    try:
        with gzip.open(p, "rb") if p.suffix == ".gz" else p.open("rb") as raw, \
                io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as fh:
            yield fh
    except GZIP_ERRORS as exc:
        raise DatasetFormatError(p, None, f"a complete gzip file ({exc})") from exc
