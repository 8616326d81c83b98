"""Shared blocks: parameter counts, recurrent stacks, embeddings and argument checks."""

import keras
import numpy as np
import pytest

from rnnbook.models import (
    ModelConfigError,
    build_classifier,
    build_recurrent_stack,
    make_embedding,
)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.mark.parametrize(("h", "x"), [(3, 5), (8, 2)])
def test_simple_rnn_parameter_count(h, x):
    inputs = keras.Input(shape=(None, x))
    model = keras.Model(inputs, build_recurrent_stack(inputs, cell="simple", units=h))
    assert model.count_params() == h * (h + x) + h


@pytest.mark.parametrize(("cell", "gates"), [("lstm", 4), ("gru", 3)])
def test_gated_parameter_count(cell, gates):
    h, x = 4, 3
    inputs = keras.Input(shape=(None, x))
    model = keras.Model(inputs, build_recurrent_stack(inputs, cell=cell, units=h))
    bias = 2 * gates * h if cell == "gru" else gates * h  # GRU reset_after=True: two biases
    assert model.count_params() == gates * h * (h + x) + bias


def test_stack_shapes_bidirectional_and_dropout():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = make_embedding(20, 4)(inputs)
    seq = build_recurrent_stack(
        x,
        cell="gru",
        units=3,
        num_layers=2,
        bidirectional=True,
        dropout=0.2,
        return_sequences=True,
    )
    model = keras.Model(inputs, seq)
    assert model.output_shape == (None, None, 6)
    assert any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)
    out = model.predict(np.array([[1, 2, 3, 0]]), verbose=0)
    assert out.shape == (1, 4, 6)


def test_mask_ignores_right_padding():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = make_embedding(20, 4)(inputs)
    model = keras.Model(inputs, build_recurrent_stack(x, cell="lstm", units=3, bidirectional=True))
    short = model.predict(np.array([[5, 6, 7]]), verbose=0)
    padded = model.predict(np.array([[5, 6, 7, 0, 0]]), verbose=0)
    np.testing.assert_allclose(short, padded, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell": "transformer"}, r"`cell` must be one of \['gru', 'lstm', 'simple'\]"),
        ({"units": 0}, "`units` must be a positive integer, got 0"),
        ({"num_layers": 0}, "`num_layers` must be a positive integer, got 0"),
        ({"dropout": 1.5}, r"`dropout` must be in \[0, 1\)"),
        ({"bidirectional": True, "merge_mode": "max"}, "`merge_mode` must be one of"),
    ],
)
def test_stack_rejects_bad_arguments(kwargs, message):
    inputs = keras.Input(shape=(None, 3))
    with pytest.raises(ModelConfigError, match=message):
        build_recurrent_stack(inputs, **kwargs)


def test_errors_are_value_errors():
    with pytest.raises(ValueError, match="`cell`"):
        build_classifier(10, embedding_dim=4, cell="rnn")


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.zeros((10, 5)), r"shape \(vocab_size, embedding_dim\) = \(10, 4\), got \(10, 5\)"),
        (np.zeros(40), "2-D array .* got an array with ndim=1"),
    ],
)
def test_embedding_matrix_shape_is_checked(matrix, message):
    with pytest.raises(ModelConfigError, match=message):
        make_embedding(10, 4, matrix=matrix)
    with pytest.raises(ModelConfigError, match="`embedding_matrix`"):
        build_classifier(10, embedding_dim=4, embedding_matrix=matrix)


def _train_one_step(model, x, y):
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    model.train_on_batch(x, y)


@pytest.mark.parametrize("trainable", [False, True])
def test_pretrained_embedding_frozen_or_fine_tuned(trainable):
    vocab, dim = 12, 4
    matrix = np.random.default_rng(0).normal(size=(vocab, dim)).astype("float32")
    model = build_classifier(
        vocab,
        embedding_dim=None,
        cell="gru",
        units=3,
        embedding_matrix=matrix,
        trainable_embedding=trainable,
    )
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(embedding.embeddings), matrix)
    trainable_count = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    expected = model.count_params() - (0 if trainable else vocab * dim)
    assert trainable_count == expected
    head_before = keras.ops.convert_to_numpy(model.get_layer("probs").kernel).copy()
    x = np.array([[1, 2, 3, 4], [5, 6, 0, 0]], dtype="int32")
    _train_one_step(model, x, np.array([[1.0], [0.0]]))
    after = keras.ops.convert_to_numpy(embedding.embeddings)
    assert np.array_equal(after, matrix) != trainable
    assert not np.array_equal(
        keras.ops.convert_to_numpy(model.get_layer("probs").kernel), head_before
    )
