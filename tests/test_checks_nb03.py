"""Tests for rnnbook.checks.nb03: each check passes a correct answer, and fails the stub and a
plausible mistake with a message that says what is wrong."""

import numpy as np
import pytest

from rnnbook.checks import ExerciseCheckFailed, nb03


def stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------------- padding_mask
def padding_mask(ids):
    return np.asarray(ids) != 0


def test_padding_mask_correct(capsys):
    nb03.check_padding_mask(padding_mask)
    assert "✓ padding_mask: correct" in capsys.readouterr().out


def test_padding_mask_stub():
    with pytest.raises(ExerciseCheckFailed, match="stub: you have not written this yet"):
        nb03.check_padding_mask(stub)


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


def test_last_real_output_correct(capsys):
    nb03.check_last_real_output(last_real_output)
    assert "✓ last_real_output: correct" in capsys.readouterr().out


def test_last_real_output_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb03.check_last_real_output(stub)


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


def test_accuracy_correct(capsys):
    nb03.check_accuracy_from_logits(accuracy_from_logits)
    assert "✓ accuracy_from_logits: correct" in capsys.readouterr().out


def test_accuracy_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb03.check_accuracy_from_logits(stub)


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


def test_embedding_matrix_correct(capsys):
    nb03.check_embedding_matrix(embedding_matrix)
    assert "✓ embedding_matrix: correct" in capsys.readouterr().out


def test_embedding_matrix_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb03.check_embedding_matrix(stub)


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
