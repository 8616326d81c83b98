"""Small file helpers shared by the parsers: gzip-aware text reading; atomic writes."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO

from rnnbook.atomic import atomic_path

__all__ = ["atomic_path", "open_text"]


def open_text(path: str | Path) -> IO[str]:
    """Open a UTF-8 text file for reading, transparently gunzipping ``*.gz``."""
    p = Path(path)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", newline="\n")
    return p.open("r", encoding="utf-8", newline="\n")
