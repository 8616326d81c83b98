"""Next-token training data: cut one long id sequence into (input, target) windows.

A window of ``seq_len + 1`` consecutive ids gives the input ``ids[s : s + seq_len]`` and the
target ``ids[s + 1 : s + seq_len + 1]`` (the same text shifted by one): at every position the
model learns to predict the next token. Windows do not overlap (``stride = seq_len`` by default),
so an epoch sees each id once as a target.

- :func:`next_token_windows`: fixed NumPy arrays ``(x, y)``, for validation or small data.
- :class:`NextTokenWindows`: a ``keras.utils.PyDataset`` of training batches that draws a new
  random start offset in ``[0, seq_len)`` and a new window order every epoch, so the model does
  not always see the text cut at the same places. Batches are full (the remainder is dropped), so
  every batch has the same shape and the backend compiles one training step.
- :class:`ContiguousStreams`: batches for *stateful* training (truncated backpropagation through
  time). The ids are cut into ``batch_size`` contiguous streams, one per batch row, and the
  streams are read ``seq_len`` ids at a time, so row ``j`` of batch ``i`` continues row ``j`` of
  batch ``i - 1``: a model that carries its recurrent state from one batch to the next reads each
  stream from its start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from rnnbook.validation import positive_int as _positive_int

__all__ = ["ContiguousStreams", "NextTokenWindows", "next_token_windows"]


def _as_ids(ids: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be a 1-D sequence of token ids, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int32)


def next_token_windows(
    ids: Sequence[int] | np.ndarray,
    seq_len: int,
    *,
    stride: int | None = None,
    offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets ``[N, seq_len]`` (int32) from windows of ``ids``.

    Window ``i`` starts at ``offset + i * stride`` (``stride`` defaults to ``seq_len``); only
    windows with all ``seq_len + 1`` ids inside ``ids`` are kept.
    """
    arr = _as_ids(ids)
    seq_len = _positive_int("seq_len", seq_len)
    stride = seq_len if stride is None else _positive_int("stride", stride)
    if isinstance(offset, bool) or not isinstance(offset, int | np.integer) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    n = (arr.size - offset - seq_len - 1) // stride + 1 if arr.size >= offset + seq_len + 1 else 0
    if n == 0:
        raise ValueError(f"{arr.size} ids (offset {offset}) are too few for one window of "
                         f"seq_len + 1 = {seq_len + 1}")
    starts = offset + stride * np.arange(n)
    index = starts[:, None] + np.arange(seq_len + 1)[None, :]
    windows = arr[index]
    return windows[:, :-1], windows[:, 1:]


class _TokenBatches(keras.utils.PyDataset):
    """What both batchers share: the ids, the batch shape, the offset generator, the length."""

    def __init__(self, ids: Sequence[int] | np.ndarray, seq_len: int, batch_size: int, *,
                 random_offset: bool, seed: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ids = _as_ids(ids)
        self.seq_len = _positive_int("seq_len", seq_len)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.random_offset = bool(random_offset)
        self._rng = np.random.default_rng(seed)
        self._num_batches = 0
        self.offset = 0

    @property
    def max_offset(self) -> int:
        """The largest start offset an epoch may draw (0 without ``random_offset``)."""
        return self.seq_len - 1 if self.random_offset else 0

    @property
    def tokens_per_batch(self) -> int:
        return self.batch_size * self.seq_len

    @property
    def num_batches(self) -> int:
        return self._num_batches

    def __len__(self) -> int:
        return self._num_batches


class NextTokenWindows(_TokenBatches):
    """Training batches ``(x, y)`` of shape ``[batch_size, seq_len]`` from one id sequence.

    With ``shuffle`` the window order is shuffled and, with ``random_offset``, the windows start at
    a random offset in ``[0, seq_len)``; both are redrawn at the end of every epoch from a
    generator seeded by ``seed``. Every epoch has the same number of full batches,
    ``len(self)``; windows that do not fill a batch are dropped unless ``drop_remainder=False``
    (then the last batch is smaller; use that for evaluation). ``tokens_per_batch`` is
    ``batch_size * seq_len`` (for :func:`rnnbook.training.fit`).
    """

    def __init__(
        self,
        ids: Sequence[int] | np.ndarray,
        seq_len: int,
        batch_size: int,
        *,
        shuffle: bool = True,
        random_offset: bool = True,
        drop_remainder: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ids, seq_len, batch_size, random_offset=random_offset, seed=seed,
                         **kwargs)
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        # windows available at the largest offset, so every epoch has the same count
        self.num_windows = max((self.ids.size - self.max_offset - 1) // self.seq_len, 0)
        batches = (self.num_windows // self.batch_size if self.drop_remainder
                   else math.ceil(self.num_windows / self.batch_size))
        if batches == 0:
            raise ValueError(
                f"{self.ids.size} ids give {self.num_windows} windows of seq_len={self.seq_len}, "
                f"not enough for one batch of {self.batch_size}")
        self._num_batches = batches
        self.order = np.arange(self.num_windows)
        self._draw()

    def _draw(self) -> None:
        self.offset = int(self._rng.integers(self.seq_len)) if self.random_offset else 0
        self.order = (self._rng.permutation(self.num_windows) if self.shuffle
                      else np.arange(self.num_windows))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < self._num_batches:
            raise IndexError(f"batch {index} out of range (0..{self._num_batches - 1})")
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        starts = self.offset + rows * self.seq_len
        windows = self.ids[starts[:, None] + np.arange(self.seq_len + 1)[None, :]]
        return windows[:, :-1], windows[:, 1:]

    def on_epoch_end(self) -> None:
        if self.shuffle or self.random_offset:
            self._draw()


class ContiguousStreams(_TokenBatches):
    """Batches ``(x, y)`` ``[batch_size, seq_len]`` that continue each other row by row.

    The ids (after an offset) are cut into ``batch_size`` streams of equal length ``stream_len``;
    row ``j`` holds stream ``j`` and batch ``i`` its ids ``[i * seq_len, (i + 1) * seq_len)``
    (targets shifted by one). Train with a stateful model, ``shuffle=False``, and reset the
    states at the start of every epoch (see :class:`rnnbook.models.ResetStatesCallback`).

    With ``random_offset`` every epoch starts the streams at a new offset in ``[0, seq_len)``,
    drawn from a generator seeded by ``seed``, so the truncation points move between epochs;
    every epoch has the same number of batches. Ids that do not fill a whole batch at the end of
    the streams are dropped (at most ``batch_size * seq_len`` of them plus the offset).
    """

    def __init__(
        self,
        ids: Sequence[int] | np.ndarray,
        batch_size: int,
        seq_len: int,
        *,
        random_offset: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ids, seq_len, batch_size, random_offset=random_offset, seed=seed,
                         **kwargs)
        # each stream needs stream_len inputs plus one more id for the last target
        self.stream_len = (self.ids.size - self.max_offset - 1) // self.batch_size
        self._num_batches = max(self.stream_len, 0) // self.seq_len
        if self._num_batches == 0:
            raise ValueError(
                f"{self.ids.size} ids are too few for {self.batch_size} streams of at least "
                f"seq_len={self.seq_len} (+1) ids each; lower batch_size or seq_len")
        self._draw()

    @property
    def scored_tokens(self) -> int:
        """Targets in one pass over all batches."""
        return self._num_batches * self.tokens_per_batch

    def target_positions(self) -> np.ndarray:
        """``[batch_size, num_batches * seq_len]``: the index in ``ids`` of every target of one
        pass, row by row in reading order (the layout of
        :func:`rnnbook.models.stream_token_losses`), to line losses up with another model's."""
        columns = np.arange(self._num_batches * self.seq_len)
        return self.offset + 1 + np.arange(self.batch_size)[:, None] * self.stream_len + columns

    def _draw(self) -> None:
        self.offset = int(self._rng.integers(self.seq_len)) if self.random_offset else 0

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < self._num_batches:
            raise IndexError(f"batch {index} out of range (0..{self._num_batches - 1})")
        starts = self.offset + np.arange(self.batch_size) * self.stream_len + index * self.seq_len
        windows = self.ids[starts[:, None] + np.arange(self.seq_len + 1)[None, :]]
        return windows[:, :-1], windows[:, 1:]

    def on_epoch_end(self) -> None:
        if self.random_offset:
            self._draw()
