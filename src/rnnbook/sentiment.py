"""Training helpers for review classifiers: length buckets, a learning-rate schedule, intervals.

- :class:`ReviewBuckets` batches reviews of similar length, each batch padded only to its own
  longest review, so whole reviews cost about what their real tokens cost.
- :func:`predict_bucketed` predicts in the same buckets and returns probabilities in input order.
- :func:`warmup_cosine` is a learning-rate schedule (linear warm-up, cosine decay).
- :func:`binomial_interval` and :func:`paired_bootstrap_difference` put intervals on accuracies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

__all__ = [
    "AccuracyInterval",
    "ReviewBuckets",
    "accuracy_by_length",
    "binomial_interval",
    "paired_bootstrap_difference",
    "predict_bucketed",
    "warmup_cosine",
]


def _round_up(n: int, multiple: int) -> int:
    return max(multiple, -(-n // multiple) * multiple)


def _check_ids(ids: Sequence[Sequence[int]], max_len: int | None) -> list[np.ndarray]:
    if isinstance(ids, np.ndarray) and ids.ndim == 2:
        raise ValueError("ReviewBuckets takes one id list per review (unpadded), not a padded "
                         "2-D array")
    if max_len is not None and (not isinstance(max_len, int | np.integer) or max_len <= 0):
        raise ValueError(f"max_len must be a positive int or None, got {max_len!r}")
    out = []
    for i, row in enumerate(ids):
        arr = np.asarray(row, dtype=np.int32).ravel()
        if arr.size == 0:
            raise ValueError(f"review {i} has no token ids; encode an empty review as [UNK_ID]")
        if np.any(arr == 0):
            raise ValueError(f"review {i} contains id 0, which is reserved for padding")
        out.append(arr[-max_len:] if max_len else arr)  # keep the end, as truncating="pre"
    if not out:
        raise ValueError("ReviewBuckets needs at least one review")
    return out


class ReviewBuckets(keras.utils.PyDataset):
    """Batches of reviews of similar length for `model.fit` / `predict`, right-padded with 0.

    Every epoch (when `shuffle`) the reviews are shuffled, cut into pools of `pool_batches`
    batches, sorted by length within each pool and cut into batches; the batch order is then
    shuffled. Each batch is padded to a multiple of `pad_to` steps beyond its longest review.
    Without `shuffle` the reviews are sorted once by length (for prediction). Reviews longer
    than `max_len` keep their last `max_len` ids.

    Args:
        ids: one sequence of token ids per review (no padding, no id 0).
        labels: optional labels, one per review; batches are `(x, y)` with them, else `(x,)`.
        batch_size: reviews per batch.
        shuffle: reshuffle every epoch (training) or keep one sorted order (prediction).
        seed: seed of the shuffles.
        pad_to: pad each batch to a multiple of this many steps (fewer distinct shapes).
        pool_batches: batches per pool of similar lengths (larger: less padding, less random).
        max_len: optional cap on the tokens kept per review.
    """

    def __init__(self, ids: Sequence[Sequence[int]], labels: Sequence[Any] | None = None, *,
                 batch_size: int = 64, shuffle: bool = True, seed: int = 0, pad_to: int = 16,
                 pool_batches: int = 50, max_len: int | None = None) -> None:
        super().__init__()
        self.ids = _check_ids(ids, max_len)
        if labels is not None:
            labels = np.asarray(labels)
            if len(labels) != len(self.ids):
                raise ValueError(f"{len(self.ids)} reviews but {len(labels)} labels")
        if batch_size <= 0 or pad_to <= 0 or pool_batches <= 0:
            raise ValueError("batch_size, pad_to and pool_batches must be positive")
        self.labels = labels
        self.batch_size, self.shuffle, self.pad_to = batch_size, shuffle, pad_to
        self.pool_batches = pool_batches
        self.lengths = np.array([len(r) for r in self.ids])
        self.rng = np.random.default_rng(seed)
        self._make_batches()

    def _make_batches(self) -> None:
        n = len(self.ids)
        if self.shuffle:
            order, pool = self.rng.permutation(n), self.batch_size * self.pool_batches
        else:
            order, pool = np.arange(n), n
        batches = []
        for start in range(0, n, pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk),
                                                                       self.batch_size)]
        if self.shuffle:
            self.rng.shuffle(batches)
        # Keras' TensorFlow adapter fixes the input signature from the first two batches and
        # keeps the time axis open only if they differ: make them differ.
        widths = [self._width(b) for b in batches]
        if len(batches) > 2 and widths[0] == widths[1]:
            other = next((j for j in range(2, len(batches)) if widths[j] != widths[0]), None)
            if other is not None:
                batches[1], batches[other] = batches[other], batches[1]
        self.batches = batches

    def _width(self, rows: np.ndarray) -> int:
        return _round_up(int(self.lengths[rows].max()), self.pad_to)

    @property
    def order(self) -> np.ndarray:
        """The review indices in the order the batches hold them."""
        return np.concatenate(self.batches)

    @property
    def real_tokens(self) -> int:
        """Tokens in all reviews (after `max_len`), padding excluded."""
        return int(self.lengths.sum())

    @property
    def padded_tokens(self) -> int:
        """Positions in all batches, padding included (what a recurrent layer steps through)."""
        return int(sum(len(b) * self._width(b) for b in self.batches))

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        rows = self.batches[index]
        x = np.zeros((len(rows), self._width(rows)), dtype=np.int32)
        for j, i in enumerate(rows):
            x[j, : self.lengths[i]] = self.ids[i]
        if self.labels is None:
            return (x,)
        return x, self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._make_batches()


def predict_bucketed(model: Any, ids: Sequence[Sequence[int]], *, batch_size: int = 256,
                     max_len: int | None = None, pad_to: int = 16) -> np.ndarray:
    """`model`'s outputs for reviews given as id lists, in input order (``[N]`` if one column)."""
    data = ReviewBuckets(ids, batch_size=batch_size, shuffle=False, max_len=max_len,
                         pad_to=pad_to)
    pred = np.asarray(model.predict(data, verbose=0))
    out = np.empty_like(pred)
    out[data.order] = pred
    return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def warmup_cosine(learning_rate: float, total_steps: int, *, warmup_fraction: float = 0.1,
                  final_fraction: float = 0.02) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up from ``learning_rate / 10`` to ``learning_rate`` over the first
    ``warmup_fraction`` of ``total_steps``, then cosine decay to ``final_fraction`` of it."""
    if not learning_rate > 0 or total_steps <= 0:
        raise ValueError("learning_rate and total_steps must be positive")
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
    warmup = int(round(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 10 if warmup else learning_rate,
        decay_steps=max(1, total_steps - warmup), alpha=final_fraction,
        warmup_target=learning_rate if warmup else None, warmup_steps=warmup)


@dataclass(frozen=True)
class AccuracyInterval:
    """An accuracy (or a difference of two) with a 95 % interval."""

    value: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def excludes_zero(self) -> bool:
        """True when the interval does not contain 0 (the difference is resolved)."""
        return self.low > 0 or self.high < 0


def binomial_interval(correct: Sequence[bool] | np.ndarray, z: float = 1.96) -> AccuracyInterval:
    """Accuracy with its Wilson score interval (95 % for ``z = 1.96``), from per-item hits."""
    hits = np.asarray(correct, dtype=bool).ravel()
    n = hits.size
    if n == 0:
        raise ValueError("binomial_interval: no items")
    p = hits.mean()
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return AccuracyInterval(float(p), float(centre - half), float(centre + half), n)


def paired_bootstrap_difference(correct_a: Sequence[bool] | np.ndarray,
                                correct_b: Sequence[bool] | np.ndarray, *, n_boot: int = 2000,
                                seed: int = 0) -> AccuracyInterval:
    """Accuracy(a) − accuracy(b) on the same items, with a paired percentile bootstrap 95 %
    interval: both are scored on the same resampled items, so only their disagreements count."""
    a = np.asarray(correct_a, dtype=float).ravel()
    b = np.asarray(correct_b, dtype=float).ravel()
    if a.size != b.size or a.size == 0:
        raise ValueError(f"need the same non-zero number of items, got {a.size} and {b.size}")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.concatenate([diff[rng.integers(0, diff.size, size=(min(500, n_boot - s),
                                                                   diff.size))].mean(axis=1)
                            for s in range(0, n_boot, 500)])
    low, high = np.percentile(means, [2.5, 97.5])
    return AccuracyInterval(float(diff.mean()), float(low), float(high), diff.size)


def accuracy_by_length(correct: Sequence[bool] | np.ndarray, lengths: Sequence[int] | np.ndarray,
                       edges: Sequence[int]) -> list[tuple[str, AccuracyInterval]]:
    """Accuracy with its interval in each length bucket ``[edges[i], edges[i+1])`` (the last one
    open-ended); buckets without items are skipped."""
    hits, lengths = np.asarray(correct, dtype=bool), np.asarray(lengths)
    bounds = [*edges, None]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        sel = (lengths >= lo) & (lengths < hi if hi is not None else True)
        if sel.any():
            label = f"{lo}–{hi - 1}" if hi is not None else f"{lo}+"
            out.append((label, binomial_interval(hits[sel])))
    return out
