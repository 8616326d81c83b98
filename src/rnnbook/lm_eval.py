"""Intervals for language-model losses measured on one text.

Per-token losses along a text are not independent (a hard passage is hard for many tokens in a
row), so the intervals resample *blocks* of consecutive tokens: the text (as the ``[streams, n]``
array :func:`rnnbook.models.stream_token_losses` returns) is cut into blocks of ``block`` tokens
and the blocks are drawn with replacement (a moving-block bootstrap without overlap).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["loss_interval", "paired_loss_difference"]


def _blocks(losses: Any, block: int) -> np.ndarray:
    arr = np.asarray(losses, np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"losses must be a non-empty [n] or [streams, n] array, got {arr.shape}")
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block <= 0:
        raise ValueError(f"block must be a positive integer, got {block!r}")
    block = min(block, arr.shape[1])  # a stream shorter than a block is one block
    per_row = arr.shape[1] // block
    return arr[:, : per_row * block].reshape(-1, block).mean(axis=1)


def _bootstrap(block_means: np.ndarray, n_boot: int, confidence: float, seed: int | None
               ) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(block_means), size=(n_boot, len(block_means)))
    means = block_means[draws].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def loss_interval(losses: Any, *, block: int = 500, n_boot: int = 2000, confidence: float = 0.95,
                  seed: int | None = 0) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean per-token loss and its block-bootstrap interval."""
    means = _blocks(losses, block)
    return (float(means.mean()), *_bootstrap(means, n_boot, confidence, seed))


def paired_loss_difference(a: Any, b: Any, *, block: int = 500, n_boot: int = 2000,
                           confidence: float = 0.95, seed: int | None = 0
                           ) -> tuple[float, float, float]:
    """``(mean, low, high)`` of ``loss(a) - loss(b)`` on the same tokens, blocks paired.

    Negative: ``a`` is better. The interval covers the evaluation text's sampling noise only,
    not the variation between training runs (seeds).
    """
    a_arr, b_arr = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must score the same tokens, got shapes {a_arr.shape} and "
                         f"{b_arr.shape}")
    means = _blocks(a_arr - b_arr, block)
    return (float(means.mean()), *_bootstrap(means, n_boot, confidence, seed))
