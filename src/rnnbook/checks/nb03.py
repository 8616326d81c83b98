"""Checks for notebook 03 (IMDB sentiment): padding masks, the many-to-one read-out, accuracy
from logits and a GloVe embedding matrix.

Every reference answer comes from Keras or from ``rnnbook`` itself, never from a copy of the
solution: the mask from ``Embedding(mask_zero=True)``, the final state from a masked Keras LSTM,
the accuracy from ``keras.metrics.BinaryAccuracy`` and the matrix from
``rnnbook.datasets.glove.build_matrix`` reading a GloVe-format file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rnnbook.checks._framework import (
    ExerciseCheckFailed,
    compare_arrays,
    expect_close,
    expect_shape,
    passed,
    run_learner,
    to_numpy,
)

__all__ = [
    "check_accuracy_from_logits",
    "check_embedding_matrix",
    "check_last_real_output",
    "check_padding_mask",
]

# Right-padded id batches (0 = <pad>): mixed lengths, a full row, a one-token row.
_ID_BATCHES = {
    "mixed lengths": np.array([[5, 3, 2, 0, 0], [1, 2, 3, 4, 6], [7, 0, 0, 0, 0]], np.int32),
    "no padding": np.array([[4, 4, 9], [1, 8, 2]], np.int32),
    "long padding": np.array([[2, 6, 0, 0, 0, 0, 0, 0, 0, 0]], np.int32),
}


def _fail(name: str, message: str) -> ExerciseCheckFailed:
    return ExerciseCheckFailed(f"{name}: {message}")


# --------------------------------------------------------------------------- padding mask
def check_padding_mask(padding_mask: Callable[[np.ndarray], Any]) -> None:
    """``padding_mask(ids)`` must equal the mask of ``Embedding(mask_zero=True)``: bool ``[B, T]``,
    True where there is a real token."""
    from rnnbook.models import make_embedding

    name = "padding_mask"
    embedding = make_embedding(16, 4, mask_zero=True)
    for case, ids in _ID_BATCHES.items():
        got = run_learner(padding_mask, ids, case=case)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        arr = to_numpy(got)
        if arr.dtype != bool:
            raise _fail(name, f"case {case!r}: return a boolean array (True = real token), got "
                              f"dtype {arr.dtype}; a comparison such as `ids != ...` gives one")
        expected = to_numpy(embedding.compute_mask(ids))
        compare_arrays(f"{name}, case {case!r}", arr, expected)
    passed(name, "matches Embedding(mask_zero=True).compute_mask")


# --------------------------------------------------------------------------- many-to-one
def _lstm_reference(ids: np.ndarray, seed: int, dim: int = 3, units: int = 4
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(outputs of an LSTM run WITHOUT a mask [B, T, H], final output WITH the mask [B, H])."""
    import keras

    from rnnbook.models import make_embedding

    rng = np.random.default_rng(seed)
    vocab = int(ids.max()) + 1
    matrix = rng.normal(size=(vocab, dim)).astype("float32")
    masked = make_embedding(vocab, dim, matrix=matrix, mask_zero=True)
    unmasked = make_embedding(vocab, dim, matrix=matrix, mask_zero=False)
    seq_layer = keras.layers.LSTM(units, return_sequences=True)
    last_layer = keras.layers.LSTM(units)
    for layer in (seq_layer, last_layer):
        layer.build((None, None, dim))
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32")
               for w in seq_layer.get_weights()]
    seq_layer.set_weights(weights)
    last_layer.set_weights(weights)
    outputs = to_numpy(seq_layer(unmasked(ids)))
    final = to_numpy(last_layer(masked(ids), mask=masked.compute_mask(ids)))
    return outputs, final


def check_last_real_output(last_real_output: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """``last_real_output(outputs, ids)`` picks, per row, the output at the last real token.

    The expected answer is what a Keras LSTM returns as its final output when it is given the
    padding mask; ``outputs`` come from the same LSTM run without a mask, so past the last real
    token they hold the (different) states reached by reading padding.
    """
    name = "last_real_output"
    for seed, (case, ids) in enumerate(_ID_BATCHES.items()):
        outputs, expected = _lstm_reference(ids, seed)
        got = run_learner(last_real_output, outputs, ids, case=case)
        arr = None if got is None else to_numpy(got)
        if (arr is not None and arr.shape == expected.shape
                and not np.allclose(arr, expected, rtol=1e-4, atol=1e-6)
                and np.allclose(arr, outputs[:, -1], rtol=1e-4, atol=1e-6)):
            raise _fail(name, f"case {case!r}: you returned the output at the LAST position, "
                              "which is padding for the shorter rows; use each row's length "
                              "(its number of non-zero ids)")
        expect_close(f"{name}, case {case!r}", got, expected, rtol=1e-4, atol=1e-6)
    passed(name, "matches the final output of a masked Keras LSTM")


# --------------------------------------------------------------------------- accuracy
def _accuracy_reference(logits: np.ndarray, labels: np.ndarray) -> float:
    import keras

    metric = keras.metrics.BinaryAccuracy(threshold=0.5)
    metric.update_state(labels.astype("float32"), keras.ops.sigmoid(logits.astype("float32")))
    return float(to_numpy(metric.result()))


def check_accuracy_from_logits(accuracy_from_logits: Callable[[np.ndarray, np.ndarray], Any]
                               ) -> None:
    """``accuracy_from_logits(logits, labels)`` must equal ``keras.metrics.BinaryAccuracy`` on
    ``sigmoid(logits)``: a logit above 0 means "positive"."""
    name = "accuracy_from_logits"
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=2.0, size=200)
    logits = np.where(np.abs(logits) < 1e-3, 1e-3, logits)  # stay clear of the 0.5 boundary
    labels = rng.integers(0, 2, size=200)
    cases = {
        "random": (logits, labels),
        "small positive logits": (np.array([0.2, 0.4, -0.3, 2.0, 0.1]), np.array([1, 1, 0, 1, 0])),
        "all wrong": (np.array([-1.0, 3.0]), np.array([1, 0])),
    }
    for case, (lg, lb) in cases.items():
        got = run_learner(accuracy_from_logits, lg, lb, case=case)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        if np.ndim(to_numpy(got)) != 0:
            raise _fail(name, f"case {case!r}: return one number (a fraction), got an array of "
                              f"shape {np.shape(to_numpy(got))}")
        expected = _accuracy_reference(lg, lb)
        as_if_probabilities = float(np.mean((lg > 0.5) == (lb == 1)))
        value = float(to_numpy(got))
        if abs(value - expected) > 1e-6 and abs(value - as_if_probabilities) < 1e-9:
            raise _fail(name, f"case {case!r}: expected {expected:.6g}, got {value:.6g}, which is "
                              "what thresholding the logits at 0.5 gives. Logits are not "
                              "probabilities: a logit > 0 means positive (sigmoid(0) = 0.5)")
        expect_close(f"{name}, case {case!r}", got, expected, rtol=1e-6)
    passed(name, "matches keras.metrics.BinaryAccuracy on sigmoid(logits)")


# --------------------------------------------------------------------------- GloVe matrix
def _glove_reference(tokens: list[str], glove: dict[str, np.ndarray], dim: int) -> np.ndarray:
    """``rnnbook.datasets.glove.build_matrix`` on a temporary GloVe file, OOV rows set to zero."""
    from rnnbook.datasets.glove import build_matrix

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "glove.txt"
        lines = [w + " " + " ".join(repr(float(x)) for x in np.asarray(v, np.float32))
                 for w, v in glove.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return build_matrix(path, tokens, dim, oov_scale=0.0, lowercase_fallback=False).matrix


def check_embedding_matrix(
    embedding_matrix: Callable[[list[str], dict[str, np.ndarray], int], Any]
) -> None:
    """``embedding_matrix(tokens, glove, dim)``: row i is ``glove[tokens[i]]``, or zeros when the
    token has no vector (as ``load_glove_matrix`` does for ``<pad>`` and the other reserved ids)."""
    name = "embedding_matrix"
    rng = np.random.default_rng(7)
    words = ["the", "film", "good", "bad", "movie", "plot", "actor"]
    dim = 5
    glove = {w: rng.normal(size=dim).astype(np.float32) for w in words}
    cases = {
        "vocabulary with reserved tokens": ["<pad>", "<unk>", "<s>", "</s>", "the", "film",
                                            "zzyzx", "good", "bad"],
        "all found": ["plot", "actor", "movie"],
        "none found": ["<pad>", "qwerty"],
    }
    for case, tokens in cases.items():
        got = run_learner(embedding_matrix, tokens, glove, dim, case=case)
        expected = _glove_reference(tokens, glove, dim)
        label = f"{name}, case {case!r}"
        expect_shape(label, got, expected.shape)
        arr = to_numpy(got)
        for i, token in enumerate(tokens):
            if not np.allclose(np.asarray(arr[i], np.float64), expected[i], rtol=1e-6, atol=1e-7):
                what = ("its GloVe vector" if token in glove
                        else "zeros (the token has no GloVe vector)")
                raise _fail(name, f"case {case!r}: row {i} (token {token!r}) should be {what}; "
                                  f"expected {np.round(expected[i], 4).tolist()}, got "
                                  f"{np.round(np.asarray(arr[i], np.float64), 4).tolist()}")
        compare_arrays(label, got, expected, rtol=1e-6, atol=1e-7)
    passed(name, "matches rnnbook.datasets.glove.build_matrix")
