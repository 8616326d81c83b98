"""Exceptions raised by :mod:`rnnbook.datasets` (all subclass :class:`DatasetError`)."""

from __future__ import annotations

from pathlib import Path


class DatasetError(Exception):
    """Base class of every error raised by the datasets layer."""


class ChecksumError(DatasetError):
    """A file's sha256 differs from the registry's.

    Attributes: ``file`` (path or URL), ``expected`` and ``actual`` (hex sha256) and ``advice``.
    """

    def __init__(self, file: str | Path, expected: str, actual: str, advice: str) -> None:
        self.file = str(file)
        self.expected = expected
        self.actual = actual
        self.advice = advice
        super().__init__(
            f"sha256 mismatch for {self.file}\n  expected: {expected}\n  actual:   {actual}\n"
            f"{advice}"
        )


class DatasetUnavailableError(DatasetError):
    """A dataset's files are neither cached, nor in the mirror, nor downloadable now."""

    def __init__(self, message: str, *, dataset: str = "", url: str | None = None,
                 file: str | None = None, target: Path | None = None) -> None:
        self.dataset = dataset
        self.url = url
        self.file = file
        self.target = target
        super().__init__(message)


class DatasetFormatError(DatasetError, ValueError):
    """A data file does not have the expected format.

    Attributes: ``path`` (file, or ``archive:member``), ``line`` (1-based, or None when the
    problem is not tied to a line) and ``expected`` (what the parser wanted).
    """

    def __init__(self, path: str | Path, line: int | None, expected: str) -> None:
        self.path = str(path)
        self.line = line
        self.expected = expected
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {expected}")
