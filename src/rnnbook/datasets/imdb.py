"""IMDB Large Movie Review Dataset (Maas et al. 2011), read straight from its tar.gz archives.

Members ``aclImdb/{train,test}/{pos,neg,unsup}/<id>_<rating>.txt`` are streamed out of the
archive(s) of whichever form is available (the upstream ``aclImdb_v1.tar.gz`` or the mirror's
labeled/unsup pair); nothing is extracted to disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnbook.datasets._tar import iter_tar
from rnnbook.datasets.errors import DatasetFormatError
from rnnbook.datasets.registry import Registry
from rnnbook.datasets.resolver import Resolved, resolve, samples_mode

NAME = "imdb"
LABELS = ("neg", "pos")  # label id = index: neg 0, pos 1
_MEMBER = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")


@dataclass(frozen=True)
class ImdbData:
    """IMDB texts and int32 labels (0 = negative, 1 = positive); val is taken from train."""

    train_texts: list[str]
    train_labels: np.ndarray
    val_texts: list[str]
    val_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray
    unsup_texts: list[str] | None = None


@dataclass(frozen=True)
class Review:
    """One review file: split, folder ('pos'/'neg'/'unsup'), id, star rating (0 = unrated)."""

    split: str
    folder: str
    id: int
    rating: int
    text: str


def iter_reviews(archive: str | Path, *, include_unsup: bool = True) -> Iterable[Review]:
    """Stream every review out of an aclImdb tar(.gz); members outside the pattern are skipped."""
    path = Path(archive)
    for name, raw in iter_tar(path):
        m = _MEMBER.match(name)
        if m is None:
            continue
        split, folder, rid, rating = m.groups()
        if folder == "unsup" and not include_unsup:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetFormatError(f"{path}:{name}", None, "a UTF-8 review text") from exc
        yield Review(split, folder, int(rid), int(rating), text)


def read_reviews(archives: Iterable[str | Path], *, include_unsup: bool = True
                 ) -> dict[tuple[str, str], list[Review]]:
    """Reviews grouped by (split, folder), each group sorted by review id."""
    groups: dict[tuple[str, str], list[Review]] = {}
    for archive in archives:
        for r in iter_reviews(archive, include_unsup=include_unsup):
            groups.setdefault((r.split, r.folder), []).append(r)
    for reviews in groups.values():
        reviews.sort(key=lambda r: r.id)
    return groups


def _labelled(groups: dict[tuple[str, str], list[Review]], split: str, source: str
              ) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    labels: list[int] = []
    for label, folder in enumerate(LABELS):
        reviews = groups.get((split, folder), [])
        if not reviews:
            raise DatasetFormatError(source, None, f"reviews under aclImdb/{split}/{folder}/")
        texts += [r.text for r in reviews]
        labels += [label] * len(reviews)
    return texts, np.asarray(labels, dtype=np.int32)


def split_validation(labels: np.ndarray, val_size: int, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split of indices: (train_idx, val_idx), each in shuffled order.

    Each class gets ``val_size`` times its share of the data (rounded; the last class takes the
    remainder), so a balanced set gives a balanced validation set.
    """
    n = len(labels)
    if not 0 <= val_size < n:
        raise ValueError(f"val_size must be in [0, {n}) for {n} training reviews, got {val_size}")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    val_parts, train_parts = [], []
    remaining = val_size
    for i, c in enumerate(classes):
        idx = np.flatnonzero(labels == c)
        take = remaining if i == len(classes) - 1 else round(val_size * len(idx) / n)
        take = min(take, len(idx))
        remaining -= take
        perm = rng.permutation(idx)
        val_parts.append(perm[:take])
        train_parts.append(perm[take:])
    val_idx = rng.permutation(np.concatenate(val_parts))
    train_idx = rng.permutation(np.concatenate(train_parts))
    return train_idx, val_idx


def unsup_available(*, registry: Registry | None = None) -> bool:
    """Whether ``load_imdb(include_unsup=True)`` can read the unlabelled reviews here.

    False only when the form found on this machine holds the labelled reviews alone (the GPU
    run's staged copy, ``mirror-labeled``); with nothing local, the upstream archive that would be
    downloaded holds them. Looks at local files only, no network.
    """
    from rnnbook.datasets.resolver import plan

    found = plan(NAME, registry=registry)
    return not found.complete or bool(found.form.by_role("unsup") or found.form.by_role("all"))


def load_imdb(*, val_size: int = 5000, seed: int = 42, include_unsup: bool = False,
              registry: Registry | None = None) -> ImdbData:
    """IMDB reviews: train (25,000 minus ``val_size``), a seeded stratified val, test (25,000).

    Train, val and test are each returned in a seeded shuffled order (so a prefix is balanced);
    texts are the raw review strings (with the original ``<br />`` tags). ``unsup_texts`` holds
    the 50,000 unlabelled reviews (id order) when ``include_unsup``. In samples mode
    (``RNNBOOK_SAMPLES=1``) ``val_size`` is capped at a fifth of the sample's training set.
    """
    res = resolve(NAME, registry=registry)
    archives = res.paths_for("all") + res.paths_for("labeled")
    if include_unsup:
        archives += res.paths_for("unsup")
    groups = read_reviews(archives, include_unsup=include_unsup)
    source = ", ".join(str(a) for a in archives)
    train_texts, train_labels = _labelled(groups, "train", source)
    test_texts, test_labels = _labelled(groups, "test", source)
    if samples_mode():
        val_size = min(val_size, len(train_texts) // 5)
    train_idx, val_idx = split_validation(train_labels, val_size, seed)
    test_idx = np.random.default_rng(seed).permutation(len(test_texts))
    unsup = None
    if include_unsup:
        unsup = [r.text for r in groups.get(("train", "unsup"), [])]
        if not unsup:
            raise DatasetFormatError(source, None, "reviews under aclImdb/train/unsup/")
    return ImdbData(
        train_texts=[train_texts[i] for i in train_idx],
        train_labels=train_labels[train_idx],
        val_texts=[train_texts[i] for i in val_idx],
        val_labels=train_labels[val_idx],
        test_texts=[test_texts[i] for i in test_idx],
        test_labels=test_labels[test_idx],
        unsup_texts=unsup,
    )


def load_imdb_word_index(*, registry: Registry | None = None) -> dict[str, int]:
    """The Keras IMDB word index (word -> rank, 1 = most frequent), variant 'word_index'."""
    path = resolve(NAME, variant="word_index", registry=registry).path_for("word_index")
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(path, exc.lineno, f"a JSON object ({exc.msg})") from exc
    if not isinstance(index, dict):
        raise DatasetFormatError(path, None, "a JSON object mapping words to ranks")
    return index


def count_records(res: Resolved) -> dict[str, int]:
    """Record counts for :func:`verify`: reviews per split and label (or word-index entries)."""
    if res.form.by_role("word_index"):
        index = json.loads(res.path_for("word_index").read_text(encoding="utf-8"))
        return {"words": len(index), "max_rank": max(index.values(), default=0)}
    archives = res.paths_for("all") + res.paths_for("labeled") + res.paths_for("unsup")
    groups = read_reviews(archives, include_unsup=True)
    counts = {}
    for split in ("train", "test"):
        for folder in LABELS:
            counts[f"{split}_{folder}"] = len(groups.get((split, folder), []))
        counts[split] = counts[f"{split}_neg"] + counts[f"{split}_pos"]
    counts["unsup"] = len(groups.get(("train", "unsup"), []))
    return counts
