"""Spanish-English sentence pairs (Tatoeba via manythings.org Anki), as in TF's NMT tutorial.

``spa-eng.zip`` holds ``spa-eng/spa.txt``: one pair per line, ``English<TAB>Spanish`` (newer
manythings files add a third attribution column, which is ignored).
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from rnnbook.datasets.errors import DatasetFormatError
from rnnbook.datasets.registry import Registry
from rnnbook.datasets.resolver import Resolved, resolve

NAME = "spa-eng"
MEMBER = "spa-eng/spa.txt"

Pair = tuple[str, str]


@dataclass(frozen=True)
class PairsData:
    """(spanish, english) pairs split into train / val / test by a fixed seed."""

    train: list[Pair]
    val: list[Pair]
    test: list[Pair]


def _parse_lines(fh: IO[str], where: str) -> list[Pair]:
    pairs: list[Pair] = []
    for line_no, raw in enumerate(fh, start=1):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        cols = line.split("\t")
        if len(cols) < 2:
            raise DatasetFormatError(where, line_no, f"English<TAB>Spanish, got {line!r}")
        if len(cols) > 3:
            raise DatasetFormatError(
                where, line_no, f"2 tab-separated columns (3 with attribution), got {len(cols)}")
        english, spanish = cols[0].strip(), cols[1].strip()
        if not english or not spanish:
            raise DatasetFormatError(where, line_no, "a non-empty English and Spanish sentence")
        pairs.append((unicodedata.normalize("NFC", spanish), unicodedata.normalize("NFC", english)))
    return pairs


def parse_pairs(path: str | Path, member: str = MEMBER) -> list[Pair]:
    """All (spanish, english) pairs, NFC-normalised, in file order, from a zip or a .txt file."""
    p = Path(path)
    try:
        if p.suffix == ".zip":
            with zipfile.ZipFile(p) as zf:
                try:
                    raw = zf.open(member)
                except KeyError:
                    raise DatasetFormatError(p, None, f"a zip member {member!r}") from None
                with raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
                    return _parse_lines(fh, f"{p}:{member}")
        with p.open(encoding="utf-8", newline="") as fh:
            return _parse_lines(fh, str(p))
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(p, None, f"UTF-8 text ({exc})") from exc
    except zipfile.BadZipFile as exc:
        raise DatasetFormatError(p, None, f"a zip archive ({exc})") from exc


def split_pairs(pairs: list[Pair], *, val_fraction: float = 0.1, test_fraction: float = 0.1,
                seed: int = 42) -> PairsData:
    """Fixed split: ``np.random.default_rng(seed).permutation(n)``; test first, then val, train.

    The split depends only on ``n``, the fractions and the seed, so it never changes between runs.
    """
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(
            f"need val_fraction, test_fraction >= 0 with sum < 1, got {val_fraction}, "
            f"{test_fraction}")
    n = len(pairs)
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    pick = lambda idx: [pairs[i] for i in idx]
    return PairsData(
        train=pick(perm[n_test + n_val:]),
        val=pick(perm[n_test:n_test + n_val]),
        test=pick(perm[:n_test]),
    )


def load_spa_eng(*, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42,
                 registry: Registry | None = None) -> PairsData:
    """Spanish-English pairs as (spanish, english), NFC-normalised, split fixed by ``seed``."""
    res = resolve(NAME, registry=registry)
    member = str(res.form.params.get("member", MEMBER))
    pairs = parse_pairs(res.path_for("pairs"), member)
    return split_pairs(pairs, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)


def count_records(res: Resolved) -> dict[str, int]:
    """Record counts for :func:`verify`: pairs and distinct English sentences."""
    member = str(res.form.params.get("member", MEMBER))
    pairs = parse_pairs(res.path_for("pairs"), member)
    return {"pairs": len(pairs), "distinct_english": len({e for _, e in pairs})}
