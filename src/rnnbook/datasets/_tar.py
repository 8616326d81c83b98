"""Regular files of a (gzipped) tar archive, read with the standard library's :mod:`tarfile`."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

from rnnbook.datasets._io import GZIP_ERRORS
from rnnbook.datasets.errors import DatasetFormatError

_BLOCK = tarfile.BLOCKSIZE


def iter_tar(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """Yield (member name, bytes) for every regular file of a .tar or .tar.gz, in archive order.

    Raises DatasetFormatError naming the file on a damaged header, a truncated archive (``tarfile``
    alone takes a cut after a whole member, or a damaged header, for the end of the archive; the
    end-of-archive marker is checked here) or a damaged gzip stream.
    """
    p = Path(path)
    try:
        with tarfile.open(p, "r:*", encoding="utf-8", errors="strict") as tf:
            for member in tf:
                if member.isfile():
                    yield member.name, tf.extractfile(member).read()  # type: ignore[union-attr]
            tf.fileobj.seek(tf.offset)  # type: ignore[union-attr]
            if tf.fileobj.read(_BLOCK) != bytes(_BLOCK):  # type: ignore[union-attr]
                raise tarfile.ReadError(f"no end-of-archive marker at byte {tf.offset}: "
                                        "truncated, or a damaged header")
            tf.fileobj.read()  # type: ignore[union-attr]  # to the end: gzip checks its trailer
    except (tarfile.TarError, *GZIP_ERRORS, ValueError) as exc:
        raise DatasetFormatError(p, None, f"a complete tar archive ({exc})") from exc
