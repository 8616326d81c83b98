"""sha256 of files, memoised per process by (path, size, mtime)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_MEMO: dict[tuple[str, int, int], str] = {}
_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file; recomputed only when its size or mtime changed."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    cached = _MEMO.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with p.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    _MEMO[key] = digest
    return digest


def clear_memo() -> None:
    """Forget memoised hashes (tests use this)."""
    _MEMO.clear()


def move_aside(path: Path) -> Path:
    """Rename a bad file to ``<name>.corrupt`` (replacing an older one) and return the new path."""
    target = path.with_name(path.name + ".corrupt")
    os.replace(path, target)
    return target
