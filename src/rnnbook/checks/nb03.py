"""Checks for notebook 03 (IMDB sentiment): padding masks, the many-to-one read-out, accuracy
from logits, a GloVe embedding matrix, masked max/mean pooling and a pooled classifier.

Every reference answer comes from Keras or from ``rnnbook`` itself, never from a copy of the
solution: the mask from ``Embedding(mask_zero=True)``, the final state from a masked Keras LSTM,
the accuracy from ``keras.metrics.BinaryAccuracy``, the matrix from
``rnnbook.datasets.glove.build_matrix`` reading a GloVe-format file, the pooling from
``rnnbook.layers.MaskedTimePooling``.

Each ``check_*`` returns what the notebook's later cells use: the learner's function when it
passes, else (outside strict mode, see :func:`rnnbook.checks.use_if_solved`) the library's
reference, with one line saying so.
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
    exercise_check,
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
    "check_masked_max_mean",
    "check_padding_mask",
    "check_pooled_classifier",
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
@exercise_check(
    "_reference_padding_mask",
    what="padding mask (Embedding(mask_zero=True).compute_mask)",
)
def check_padding_mask(padding_mask: Callable[[np.ndarray], Any]) -> Any:
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
    seq_layer = keras.layers.LSTM(units, return_sequences=True, dtype="float32")
    last_layer = keras.layers.LSTM(units, dtype="float32")
    for layer in (seq_layer, last_layer):
        layer.build((None, None, dim))
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32")
               for w in seq_layer.get_weights()]
    seq_layer.set_weights(weights)
    last_layer.set_weights(weights)
    outputs = to_numpy(seq_layer(unmasked(ids)))
    final = to_numpy(last_layer(masked(ids), mask=masked.compute_mask(ids)))
    return outputs, final


@exercise_check("_reference_last_real_output", what="read-out at the last real token")
def check_last_real_output(last_real_output: Callable[[np.ndarray, np.ndarray], Any]) -> Any:
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


@exercise_check(
    lambda lg, lb: _accuracy_reference(np.asarray(lg), np.asarray(lb)),
    what="accuracy (keras.metrics.BinaryAccuracy)",
)
def check_accuracy_from_logits(accuracy_from_logits: Callable[[np.ndarray, np.ndarray], Any]
                               ) -> Any:
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


@exercise_check(
    "_reference_embedding_matrix",
    what="embedding matrix (rnnbook.datasets.glove.build_matrix)",
)
def check_embedding_matrix(
    embedding_matrix: Callable[[list[str], dict[str, np.ndarray], int], Any]
) -> Any:
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


# --------------------------------------------------------------------------- references
def _reference_padding_mask(ids: Any) -> np.ndarray:
    """The mask ``Embedding(mask_zero=True)`` computes."""
    from rnnbook.models import make_embedding

    return to_numpy(make_embedding(int(np.max(ids)) + 1, 1, mask_zero=True).compute_mask(
        np.asarray(ids)))


def _reference_last_real_output(outputs: Any, ids: Any) -> np.ndarray:
    """``rnnbook.layers.length_aware.at_step`` at each row's last real step."""
    from rnnbook.layers.length_aware import at_step

    lengths = (np.asarray(ids) != 0).sum(axis=1).astype("int32")
    return to_numpy(at_step(np.asarray(outputs, "float32"), lengths - 1))


def _reference_embedding_matrix(tokens: list[str], glove: dict[str, np.ndarray], dim: int
                                ) -> np.ndarray:
    return _glove_reference(list(tokens), glove, dim)


def _reference_masked_max_mean(outputs: Any, mask: Any) -> np.ndarray:
    from rnnbook.layers import MaskedTimePooling

    pooling = MaskedTimePooling(("max", "mean"), dtype="float32")  # float32 under any policy
    return to_numpy(pooling(np.asarray(outputs, "float32"), mask=np.asarray(mask, bool)))


def _reference_pooled_classifier(vocab_size: int, embedding_dim: int, units: int) -> Any:
    from rnnbook.models import build_classifier

    return build_classifier(vocab_size, embedding_dim=embedding_dim, units=units,
                            bidirectional=True, pooling="max_mean")


# --------------------------------------------------------------------------- public checks


# --------------------------------------------------------------------------- max/mean pooling
@exercise_check("_reference_masked_max_mean", what="pooling (rnnbook.layers.MaskedTimePooling)")
def check_masked_max_mean(masked_max_mean: Callable[[np.ndarray, np.ndarray], Any]) -> Any:
    """``masked_max_mean(outputs [B, T, H], mask [B, T])`` → ``[B, 2H]``: the max over the real
    steps, then the mean over them, as ``MaskedTimePooling(("max", "mean"))``."""
    name = "masked_max_mean"
    rng = np.random.default_rng(11)
    negative = -np.abs(rng.normal(size=(2, 6, 3))).astype("float32")
    negative[:, 4:] = 0.0  # padding outputs of 0 beat every real (negative) value in a plain max
    big_padding = rng.normal(size=(3, 5, 2)).astype("float32")
    big_padding[0, 2:] = 50.0
    cases = {
        "mixed lengths": (rng.normal(size=(3, 5, 4)).astype("float32"),
                          np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)),
        "negative outputs, zero padding": (negative, np.array([[1, 1, 1, 1, 0, 0]] * 2, bool)),
        "large values on padding": (big_padding, np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1],
                                                           [1, 1, 1, 0, 0]], bool)),
    }
    for case, (outputs, mask) in cases.items():
        got = run_learner(masked_max_mean, outputs, mask, case=case)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        expected = _reference_masked_max_mean(outputs, mask)
        arr = to_numpy(got)
        h = outputs.shape[-1]
        expect_shape(f"{name}, case {case!r}", arr, expected.shape)
        plain = np.concatenate([outputs.max(axis=1), outputs.mean(axis=1)], axis=-1)
        if not np.allclose(arr, expected, atol=1e-5) and np.allclose(arr, plain, atol=1e-5):
            raise _fail(name, f"case {case!r}: you pooled over every step, padding included; "
                              "only the steps where the mask is True may enter the max and mean")
        if not np.allclose(arr[:, :h], expected[:, :h], atol=1e-5):
            raise _fail(name, f"case {case!r}: the first {h} columns (the max over the real "
                              "steps) differ")
        if not np.allclose(arr[:, h:], expected[:, h:], atol=1e-5):
            raise _fail(name, f"case {case!r}: the last {h} columns (the mean over the real "
                              "steps: divide by each row's number of real steps) differ")
    passed(name, "matches rnnbook.layers.MaskedTimePooling(('max', 'mean'))")


# --------------------------------------------------------------------------- pooled classifier
def _toy_reviews(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded ids in [4, 30); label 1 iff token 3 occurs, placed in the MIDDLE of the
    review, far from both ends (a last-state reader must carry it across many steps)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(4, 30, size=(n, length)).astype("int32")
    y = rng.integers(0, 2, size=n)
    lengths = rng.integers(length // 2, length + 1, size=n)
    for i in range(n):
        if y[i]:
            x[i, rng.integers(lengths[i] // 3, 2 * lengths[i] // 3)] = 3
        x[i, lengths[i]:] = 0
    return x, y.astype("float32")


@exercise_check(
    "_reference_pooled_classifier",
    what="classifier (build_classifier(bidirectional=True, "
                              "pooling='max_mean'))",
)
def check_pooled_classifier(build: Callable[[int, int, int], Any]) -> Any:
    """``build(vocab_size, embedding_dim, units)`` returns a Keras model: ids ``[B, T]`` →
    ``p(positive)`` ``[B, 1]``, unchanged by padding, that learns a toy task whose evidence
    sits in the middle of long reviews."""
    import keras

    name = "build_pooled_classifier"
    keras.utils.set_random_seed(0)
    model = run_learner(build, 30, 8, 8)
    if not isinstance(model, keras.Model):
        raise _fail(name, f"return a keras.Model, got {type(model).__name__}")
    ids = np.array([[5, 9, 2, 7, 0, 0], [4, 0, 0, 0, 0, 0], [3, 8, 8, 6, 1, 12]], np.int32)
    out = to_numpy(model(ids))
    if out.shape != (3, 1):
        raise _fail(name, f"the model must map ids [3, 6] to probabilities [3, 1], got "
                          f"{out.shape}")
    if np.any(out < 0) or np.any(out > 1):
        raise _fail(name, "outputs must be probabilities in [0, 1]: end with a Dense(1) layer "
                          "with a sigmoid")
    padded = to_numpy(model(np.pad(ids, ((0, 0), (0, 30)))))
    if not np.allclose(out, padded, atol=1e-5):
        raise _fail(name, "the prediction changes when padding is added: the embedding must "
                          "emit a mask (mask_zero=True) and the pooling must honour it")
    first = to_numpy(model(np.array([[6, 9, 2, 7]], np.int32)))
    if np.allclose(first, to_numpy(model(np.array([[5, 9, 2, 7]], np.int32))), atol=1e-7):
        raise _fail(name, "changing the first token does not change the output")
    x, y = _toy_reviews(512, 60, seed=1)
    x_val, y_val = _toy_reviews(256, 60, seed=2)
    model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    acc = float(np.mean((to_numpy(model.predict(x_val, verbose=0)).ravel() > 0.5) == y_val))
    if acc < 0.9:
        raise _fail(name, f"after 8 epochs on the toy task (label = 'token 3 occurs somewhere "
                          f"in the middle') validation accuracy is {acc:.2f}, expected >= 0.90; "
                          "pool the recurrent outputs over time (max and mean) rather than "
                          "reading only the final state")
    passed(name, f"padding-invariant, learns the toy task (validation accuracy {acc:.2f})")


