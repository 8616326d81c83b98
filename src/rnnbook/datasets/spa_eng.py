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
    """(spanish, english) pairs split into train / val / test by a fixed seed; no Spanish and no
    English sentence occurs in two splits (see :func:`split_pairs`)."""

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


def source_key(sentence: str) -> str:
    """The key that identifies a sentence for splitting: case-folded, whitespace collapsed.

    Two sentences that differ only in case or spacing count as the same sentence.
    """
    return " ".join(sentence.casefold().split())


def _components(pairs: list[Pair]) -> list[int]:
    """Per pair, the id of its connected component in the graph that links every Spanish
    sentence to its English translations (union-find); ids in order of first appearance."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(node: tuple[str, str]) -> tuple[str, str]:
        root = parent.setdefault(node, node)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    for es, en in pairs:
        a, b = find(("es", source_key(es))), find(("en", source_key(en)))
        if a != b:
            parent[a] = b
    ids: dict[tuple[str, str], int] = {}
    return [ids.setdefault(find(("es", source_key(es))), len(ids)) for es, _ in pairs]


def split_pairs(pairs: list[Pair], *, val_fraction: float = 0.1, test_fraction: float = 0.1,
                seed: int = 42) -> PairsData:
    """Fixed split with no sentence in two splits, on either side.

    Pairs are grouped into connected components: all translations of a Spanish sentence are in
    its group, and so is every other Spanish sentence with one of those translations (sentences
    compared by :func:`source_key`). The groups (in order of first appearance) are permuted with
    ``np.random.default_rng(seed)``; the first ``round(n * test_fraction)`` go to test, the next
    ``round(n * val_fraction)`` to val, the rest to train, and pairs keep their file order within
    a split. The fractions count groups, not pairs. The split depends only on the pairs, the
    fractions and the seed. (A split of the pairs themselves puts 7% of the test Spanish
    sentences, and 21% of the test English sentences, in train as well: a model could score by
    remembering them.)
    """
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(
            f"need val_fraction, test_fraction >= 0 with sum < 1, got {val_fraction}, "
            f"{test_fraction}")
    groups = _components(pairs)
    n = max(groups, default=-1) + 1
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    rank = np.empty(n, np.int64)
    rank[perm] = np.arange(n)
    out: tuple[list[Pair], list[Pair], list[Pair]] = ([], [], [])
    for pair, group in zip(pairs, groups, strict=True):
        r = rank[group]
        out[0 if r < n_test else 1 if r < n_test + n_val else 2].append(pair)
    return PairsData(train=out[2], val=out[1], test=out[0])


def group_by_source(pairs: list[Pair]) -> list[tuple[str, list[str]]]:
    """``(spanish, [every English translation])`` per distinct source, in first-seen order.

    Sources are matched by :func:`source_key`; the first spelling seen is returned. Use the lists
    as BLEU references: any of the translations is a correct answer.
    """
    groups: dict[str, tuple[str, list[str]]] = {}
    for es, en in pairs:
        key = source_key(es)
        if key not in groups:
            groups[key] = (es, [])
        if en not in groups[key][1]:
            groups[key][1].append(en)
    return list(groups.values())


def load_spa_eng(*, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42,
                 registry: Registry | None = None) -> PairsData:
    """Spanish-English pairs as (spanish, english), NFC-normalised, split so that no sentence is
    in two splits (fixed by ``seed``; see :func:`split_pairs`)."""
    res = resolve(NAME, registry=registry)
    member = str(res.form.params.get("member", MEMBER))
    pairs = parse_pairs(res.path_for("pairs"), member)
    return split_pairs(pairs, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)


def count_records(res: Resolved) -> dict[str, int]:
    """Record counts for :func:`verify`: pairs, distinct English sentences and the pairs in each
    split of :func:`load_spa_eng`'s default split."""
    member = str(res.form.params.get("member", MEMBER))
    pairs = parse_pairs(res.path_for("pairs"), member)
    split = split_pairs(pairs)
    return {"pairs": len(pairs), "distinct_english": len({e for _, e in pairs}),
            "train_pairs": len(split.train), "val_pairs": len(split.val),
            "test_pairs": len(split.test)}
