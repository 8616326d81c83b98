"""Tests for rnnbook.checks.nb03: each check passes a correct answer, and fails the stub and a
plausible mistake with a message that says what is wrong."""

import keras
import numpy as np
import pytest
from conftest import assert_passes_and_refuses_stub, stub

from rnnbook.checks import ExerciseCheckFailed, nb03


# --------------------------------------------------------------------------- padding_mask
def padding_mask(ids):
    return np.asarray(ids) != 0


def test_padding_mask_inverted():
    with pytest.raises(ExerciseCheckFailed, match="values differ"):
        nb03.check_padding_mask(lambda ids: np.asarray(ids) == 0)


def test_padding_mask_not_boolean():
    with pytest.raises(ExerciseCheckFailed, match="return a boolean array"):
        nb03.check_padding_mask(lambda ids: (np.asarray(ids) != 0).astype(int))


# --------------------------------------------------------------------------- last_real_output
def last_real_output(outputs, ids):
    lengths = (np.asarray(ids) != 0).sum(axis=1)
    return outputs[np.arange(len(outputs)), lengths - 1]


def test_last_real_output_takes_the_last_position():
    with pytest.raises(ExerciseCheckFailed, match="output at the LAST position"):
        nb03.check_last_real_output(lambda outputs, ids: outputs[:, -1])


def test_last_real_output_off_by_one():
    def off_by_one(outputs, ids):
        lengths = (np.asarray(ids) != 0).sum(axis=1)
        return outputs[np.arange(len(outputs)), np.minimum(lengths, outputs.shape[1] - 1)]

    with pytest.raises(ExerciseCheckFailed, match="case 'mixed lengths'.*values differ"):
        nb03.check_last_real_output(off_by_one)


def test_last_real_output_wrong_axis():
    with pytest.raises(ExerciseCheckFailed, match="wrong shape"):
        nb03.check_last_real_output(lambda outputs, ids: outputs[:, :, -1])


# --------------------------------------------------------------------------- accuracy
def accuracy_from_logits(logits, labels):
    return float(np.mean((np.asarray(logits) > 0) == (np.asarray(labels) == 1)))


def test_accuracy_threshold_at_one_half():
    def as_probabilities(logits, labels):
        return float(np.mean((np.asarray(logits) > 0.5) == (np.asarray(labels) == 1)))

    with pytest.raises(ExerciseCheckFailed, match="Logits are not probabilities"):
        nb03.check_accuracy_from_logits(as_probabilities)


def test_accuracy_returns_an_array():
    with pytest.raises(ExerciseCheckFailed, match="return one number"):
        nb03.check_accuracy_from_logits(lambda lg, lb: (np.asarray(lg) > 0) == lb)


def test_accuracy_counts_errors():
    with pytest.raises(ExerciseCheckFailed, match="case 'random'.*expected"):
        nb03.check_accuracy_from_logits(lambda lg, lb: 1.0 - accuracy_from_logits(lg, lb))


# --------------------------------------------------------------------------- embedding matrix
def embedding_matrix(tokens, glove, dim):
    matrix = np.zeros((len(tokens), dim), dtype=np.float32)
    for i, token in enumerate(tokens):
        if token in glove:
            matrix[i] = glove[token]
    return matrix


def test_embedding_matrix_off_by_one_rows():
    def shifted(tokens, glove, dim):
        return np.roll(embedding_matrix(tokens, glove, dim), 1, axis=0)

    message = r"reserved tokens': row 0 \(token '<pad>'\) should be zeros"
    with pytest.raises(ExerciseCheckFailed, match=message):
        nb03.check_embedding_matrix(shifted)


def test_embedding_matrix_random_oov_rows():
    def random_oov(tokens, glove, dim):
        rng = np.random.default_rng(0)
        return np.stack([glove[t] if t in glove else rng.normal(size=dim) for t in tokens])

    with pytest.raises(ExerciseCheckFailed, match=r"row 0 \(token '<pad>'\) should be zeros"):
        nb03.check_embedding_matrix(random_oov)


def test_embedding_matrix_forgot_return():
    with pytest.raises(ExerciseCheckFailed, match="forget to `return`"):
        nb03.check_embedding_matrix(lambda tokens, glove, dim: None)


def test_embedding_matrix_all_zeros():
    with pytest.raises(ExerciseCheckFailed, match=r"row 4 \(token 'the'\) should be its GloVe"):
        nb03.check_embedding_matrix(lambda tokens, glove, dim: np.zeros((len(tokens), dim)))


def test_embedding_matrix_wrong_shape():
    with pytest.raises(ExerciseCheckFailed, match="wrong shape"):
        nb03.check_embedding_matrix(lambda tokens, glove, dim: np.zeros((dim, len(tokens))))


# --------------------------------------------------------------------------- returned functions
def test_checks_return_the_learners_function_when_it_passes():
    assert nb03.check_padding_mask(padding_mask) is padding_mask
    assert nb03.check_embedding_matrix(embedding_matrix) is embedding_matrix


def test_lenient_check_returns_a_working_reference(monkeypatch, capsys):
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS")
    ids = np.array([[3, 4, 0], [5, 0, 0]])
    reference = nb03.check_padding_mask(stub)
    out = capsys.readouterr().out
    assert "✗ stub: you have not written this yet" in out
    assert "cells below use the library's reference (padding mask" in out
    np.testing.assert_array_equal(reference(ids), ids != 0)
    outputs = np.random.default_rng(0).normal(size=(2, 3, 4))
    last = nb03.check_last_real_output(stub)(outputs, ids)
    np.testing.assert_allclose(last, outputs[[0, 1], [1, 0]], atol=1e-6)
    accuracy = nb03.check_accuracy_from_logits(stub)
    assert accuracy(np.array([1.0, -2.0, 0.5]), np.array([1, 1, 0])) == pytest.approx(1 / 3)
    matrix = nb03.check_embedding_matrix(stub)(["<pad>", "a"], {"a": np.ones(2)}, 2)
    np.testing.assert_array_equal(matrix, [[0, 0], [1, 1]])


# --------------------------------------------------------------------------- max/mean pooling
def masked_max_mean(outputs, mask):
    m = np.asarray(mask, bool)[..., None]
    mx = np.where(m, outputs, -np.inf).max(axis=1)
    mean = (outputs * m).sum(axis=1) / m.sum(axis=1)
    return np.concatenate([mx, mean], axis=-1)


def test_masked_max_mean_pools_the_padding_too():
    def plain(outputs, mask):
        return np.concatenate([outputs.max(axis=1), outputs.mean(axis=1)], axis=-1)

    with pytest.raises(ExerciseCheckFailed, match="pooled over every step, padding included"):
        nb03.check_masked_max_mean(plain)


def test_masked_max_mean_divides_by_the_full_length():
    def wrong_mean(outputs, mask):
        m = np.asarray(mask, bool)[..., None]
        mx = np.where(m, outputs, -np.inf).max(axis=1)
        return np.concatenate([mx, (outputs * m).mean(axis=1)], axis=-1)

    with pytest.raises(ExerciseCheckFailed, match="the mean over the real"):
        nb03.check_masked_max_mean(wrong_mean)


def test_masked_max_mean_wrong_order():
    def mean_first(outputs, mask):
        h = outputs.shape[-1]
        pooled = masked_max_mean(outputs, mask)
        return np.concatenate([pooled[:, h:], pooled[:, :h]], axis=-1)

    with pytest.raises(ExerciseCheckFailed, match="the max over the real steps"):
        nb03.check_masked_max_mean(mean_first)


# --------------------------------------------------------------------------- pooled classifier
class _MaxMean(keras.layers.Layer):
    def __init__(self, masked=True, **kwargs):
        super().__init__(**kwargs)
        self.masked = masked
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None or not self.masked:
            mask = keras.ops.ones(keras.ops.shape(x)[:2], "bool")
        m = keras.ops.expand_dims(keras.ops.cast(mask, x.dtype), -1)
        mx = keras.ops.max(x + (m - 1.0) * 1e9, axis=1)
        mean = keras.ops.sum(x * m, axis=1) / keras.ops.sum(m, axis=1)
        return keras.ops.concatenate([mx, mean], axis=-1)

    def compute_mask(self, x, mask=None):
        return None


def _builder(masked=True, mask_zero=True):
    def build_pooled_classifier(vocab_size, embedding_dim, units):
        tokens = keras.Input(shape=(None,), dtype="int32")
        x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero)(tokens)
        x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True))(x)
        x = _MaxMean(masked)(x)
        return keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid")(x))
    return build_pooled_classifier


def test_pooled_classifier_ignoring_the_mask_fails():
    with pytest.raises(ExerciseCheckFailed, match="prediction changes when padding is added"):
        nb03.check_pooled_classifier(_builder(masked=False))


def test_pooled_classifier_logit_output_fails():
    def logits(vocab_size, embedding_dim, units):
        tokens = keras.Input(shape=(None,), dtype="int32")
        x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(tokens)
        x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True))(x)
        return keras.Model(tokens, keras.layers.Dense(1)(_MaxMean()(x)) * 100.0)

    with pytest.raises(ExerciseCheckFailed, match="must be probabilities"):
        nb03.check_pooled_classifier(logits)


def test_pooled_classifier_not_a_model():
    with pytest.raises(ExerciseCheckFailed, match="return a keras.Model"):
        nb03.check_pooled_classifier(lambda v, d, u: None)


def test_pooled_classifier_reference_used_when_lenient(monkeypatch):
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS")
    model = nb03.check_pooled_classifier(stub)(30, 4, 3)
    assert model.get_layer("pooling").modes == ("max", "mean")


def test_masked_max_mean_check_holds_under_mixed_precision():
    """The GPU run may set a mixed global policy; the check's reference still pools in float32,
    so a correct NumPy answer passes."""
    import keras

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        assert nb03.check_masked_max_mean(masked_max_mean) is masked_max_mean  # NumPy, float64
    finally:
        keras.mixed_precision.set_global_policy(previous)


# --------------------------------------------------------------------------- every exercise
@pytest.mark.parametrize(("check", "answer", "name"), [
    (nb03.check_padding_mask, padding_mask, "padding_mask"),
    (nb03.check_last_real_output, last_real_output, "last_real_output"),
    (nb03.check_accuracy_from_logits, accuracy_from_logits, "accuracy_from_logits"),
    (nb03.check_embedding_matrix, embedding_matrix, "embedding_matrix"),
    (nb03.check_masked_max_mean, masked_max_mean, "masked_max_mean"),
    (nb03.check_pooled_classifier, _builder(), "build_pooled_classifier"),
])
def test_correct_answers_pass_and_stubs_fail(check, answer, name, capsys):
    assert_passes_and_refuses_stub(check, answer, f"✓ {name}: correct", capsys)
