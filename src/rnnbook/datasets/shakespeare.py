"""Tiny Shakespeare (karpathy/char-rnn): one text file, split into contiguous train/val."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rnnbook.datasets.errors import DatasetFormatError
from rnnbook.datasets.registry import Registry
from rnnbook.datasets.resolver import Resolved, resolve

NAME = "tinyshakespeare"
_SPEAKER_LINE = re.compile(r"^([A-Z][A-Z' ]*[A-Z]):$", re.MULTILINE)


@dataclass(frozen=True)
class TextSplit:
    """A text split into a training prefix and a validation suffix (no overlap)."""

    train: str
    val: str


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (raises DatasetFormatError on bad bytes or an empty file)."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise DatasetFormatError(p, line, "UTF-8 text") from exc
    if not text:
        raise DatasetFormatError(p, None, "a non-empty text file")
    return text


def split_text(text: str, val_fraction: float = 0.1) -> TextSplit:
    """Split ``text`` at ``len * (1 - val_fraction)``: train is the prefix, val the rest."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    cut = int(len(text) * (1.0 - val_fraction))
    return TextSplit(train=text[:cut], val=text[cut:])


def speaker_names(text: str) -> list[str]:
    """The speaker of every speech in ``text``, in order: each line that is a name in capitals
    followed by a colon (``"ROMEO:"``, ``"KING RICHARD III:"``)."""
    return _SPEAKER_LINE.findall(text)


def load_shakespeare(val_fraction: float = 0.1, *, registry: Registry | None = None) -> TextSplit:
    """Tiny Shakespeare as a contiguous train/val split (the last ``val_fraction`` is val)."""
    path = resolve(NAME, registry=registry).path_for("text")
    return split_text(read_text(path), val_fraction)


def count_records(res: Resolved) -> dict[str, int]:
    """Record counts for :func:`verify`: characters, lines and distinct characters."""
    text = read_text(res.path_for("text"))
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return {"chars": len(text), "lines": lines, "distinct_chars": len(set(text))}
