"""LengthAwareRNN: the same numbers as Keras' masked layers, computed without passing a mask."""

import keras
import numpy as np
import pytest
from keras import ops

from rnnbook.layers.length_aware import LengthAwareRNN, at_step, reverse_padded

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "simple": keras.layers.SimpleRNN}


def test_reverse_padded_reverses_within_each_length_only():
    x = np.arange(1, 13, dtype="float32").reshape(2, 6, 1)  # rows 1..6 and 7..12
    lengths = np.array([4, 1])
    out = ops.convert_to_numpy(reverse_padded(x, lengths))[..., 0]
    np.testing.assert_array_equal(out, [[4, 3, 2, 1, 5, 6], [7, 8, 9, 10, 11, 12]])
    twice = ops.convert_to_numpy(reverse_padded(reverse_padded(x, lengths), lengths))
    np.testing.assert_array_equal(twice, x)


def test_at_step_gathers_one_step_per_row():
    x = np.arange(2 * 3 * 2, dtype="float32").reshape(2, 3, 2)
    out = ops.convert_to_numpy(at_step(x, np.array([2, 0])))
    np.testing.assert_array_equal(out, [x[0, 2], x[1, 0]])


def _padded_batch(rng, lengths, steps, features):
    x = rng.normal(size=(len(lengths), steps, features)).astype("float32")
    mask = np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
    return x * mask[..., None], mask


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_equals_keras_masked_layer(cell, bidirectional, return_sequences):
    rng = np.random.default_rng(0)
    lengths = [7, 1, 4, 7, 2]  # includes one-token rows and the longest
    x, mask = _padded_batch(rng, lengths, steps=7, features=3)
    reference_layer = CELLS[cell](5, return_sequences=return_sequences)
    if bidirectional:
        reference_layer = keras.layers.Bidirectional(reference_layer)
    reference = ops.convert_to_numpy(reference_layer(x, mask=mask))
    ours_layer = LengthAwareRNN(CELLS[cell](5, return_sequences=return_sequences),
                                bidirectional=bidirectional)
    ours_layer(x, mask=mask)  # build
    if bidirectional:
        ours_layer.forward_layer.set_weights(reference_layer.forward_layer.get_weights())
        ours_layer.backward_layer.set_weights(reference_layer.backward_layer.get_weights())
    else:
        ours_layer.forward_layer.set_weights(reference_layer.get_weights())
    ours = ops.convert_to_numpy(ours_layer(x, mask=mask))
    if return_sequences:
        np.testing.assert_allclose(ours[mask], reference[mask], atol=1e-5)
        assert np.all(ours[~mask] == 0)
    else:
        np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_outputs_do_not_depend_on_how_much_padding_follows():
    rng = np.random.default_rng(1)
    layer = LengthAwareRNN(keras.layers.GRU(4, return_sequences=True), bidirectional=True)
    x, mask = _padded_batch(rng, [5, 3], steps=5, features=2)
    longer = np.concatenate([x, rng.normal(size=(2, 9, 2)).astype("float32")], axis=1)
    longer_mask = np.concatenate([mask, np.zeros((2, 9), bool)], axis=1)
    short = ops.convert_to_numpy(layer(x, mask=mask))
    long = ops.convert_to_numpy(layer(longer, mask=longer_mask))[:, :5]
    np.testing.assert_allclose(short, long, atol=1e-6)


def test_mask_flows_on_and_the_model_round_trips(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(inputs)
    h = LengthAwareRNN(keras.layers.LSTM(3, return_sequences=True), bidirectional=True)(h)
    h = LengthAwareRNN(keras.layers.LSTM(3), bidirectional=True, merge_mode="sum")(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    ids = np.array([[3, 4, 5, 0, 0], [6, 0, 0, 0, 0]])
    before = model.predict(ids, verbose=0)
    more_padding = np.pad(ids, ((0, 0), (0, 4)))  # the mask reached the second layer
    np.testing.assert_allclose(model.predict(more_padding, verbose=0), before, atol=1e-6)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras").predict(ids, verbose=0)
    np.testing.assert_allclose(before, again, atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="recurrent layer"):
        LengthAwareRNN(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="go_backwards=False"):
        LengthAwareRNN(keras.layers.LSTM(3, go_backwards=True))
    with pytest.raises(ValueError, match="cell state"):
        LengthAwareRNN(keras.layers.LSTM(3, return_state=True))
    with pytest.raises(ValueError, match="merge_mode"):
        LengthAwareRNN(keras.layers.LSTM(3), merge_mode="max")


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["gru", "simple"])
def test_initial_and_final_states_equal_keras_masked_layer(cell, bidirectional):
    """An encoder's final state and a decoder's initial state, as the masked layer has them."""
    rng = np.random.default_rng(2)
    lengths = [6, 1, 3, 6]
    x, mask = _padded_batch(rng, lengths, steps=6, features=3)
    state = [rng.normal(size=(4, 5)).astype("float32") for _ in range(2 if bidirectional else 1)]
    reference_layer = CELLS[cell](5, return_sequences=True, return_state=True)
    if bidirectional:
        reference_layer = keras.layers.Bidirectional(reference_layer)
    reference = [ops.convert_to_numpy(t)
                 for t in reference_layer(x, mask=mask, initial_state=state)]
    ours_layer = LengthAwareRNN(CELLS[cell](5, return_sequences=True, return_state=True),
                                bidirectional=bidirectional)
    ours_layer(x, mask=mask, initial_state=state)  # build
    if bidirectional:
        ours_layer.forward_layer.set_weights(reference_layer.forward_layer.get_weights())
        ours_layer.backward_layer.set_weights(reference_layer.backward_layer.get_weights())
    else:
        ours_layer.forward_layer.set_weights(reference_layer.get_weights())
    ours = [ops.convert_to_numpy(t) for t in ours_layer(x, mask=mask, initial_state=state)]
    assert len(ours) == len(reference) == 1 + len(state)
    np.testing.assert_allclose(ours[0][mask], reference[0][mask], atol=1e-5)
    for got, expected in zip(ours[1:], reference[1:], strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_final_state_does_not_depend_on_padding_in_a_functional_model():
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(inputs)
    outputs, state = LengthAwareRNN(keras.layers.GRU(3, return_sequences=True,
                                                     return_state=True))(h)
    model = keras.Model(inputs, [outputs, state])
    ids = np.array([[3, 4, 5, 0], [6, 0, 0, 0]])
    short = model.predict(ids, verbose=0)
    long = model.predict(np.pad(ids, ((0, 0), (0, 5))), verbose=0)
    np.testing.assert_allclose(long[1], short[1], atol=1e-6)
    np.testing.assert_allclose(long[0][:, :4], short[0], atol=1e-6)
