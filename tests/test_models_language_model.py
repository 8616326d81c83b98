"""Language model: training, and the stateful step model used for generation."""

import keras
import numpy as np
import pytest

from rnnbook.lm_data import ContiguousStreams
from rnnbook.models import (
    LanguageModelStepper,
    ModelConfigError,
    ResetStatesCallback,
    build_classifier,
    build_language_model,
    copy_language_model,
    dynamic_token_losses,
    make_lm_step_model,
    reset_lm_states,
    stream_token_losses,
)
from rnnbook.training import fit

VOCAB = 12


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _counting_data(n=32, length=8):
    """Next token = current + 1 (mod VOCAB, skipping 0): learnable signal."""
    starts = np.random.default_rng(0).integers(1, VOCAB, size=(n, 1))
    seq = (starts + np.arange(length + 1)) % (VOCAB - 1) + 1
    return seq[:, :-1].astype("int32"), seq[:, 1:].astype("int32")


@pytest.mark.parametrize(("cell", "num_layers"), [("lstm", 2), ("gru", 1), ("simple", 2)])
def test_step_model_matches_full_model(cell, num_layers):
    model = build_language_model(VOCAB, embedding_dim=5, cell=cell, units=4, num_layers=num_layers)
    x, _ = _counting_data(n=3, length=6)
    full = keras.ops.convert_to_numpy(model(x))
    stepper = LanguageModelStepper(model)
    states = stepper.initial_state(3)
    assert len(states) == num_layers * (2 if cell == "lstm" else 1)
    steps = []
    for t in range(x.shape[1]):
        logits, states = stepper.step(x[:, t], states)
        steps.append(logits)
    np.testing.assert_allclose(np.stack(steps, axis=1), full, atol=1e-5)


def test_step_model_signature():
    model = build_language_model(VOCAB, embedding_dim=5, cell="lstm", units=4, num_layers=2)
    step = make_lm_step_model(model)
    assert len(step.inputs) == 1 + 4 and len(step.outputs) == 1 + 4
    assert step.outputs[0].shape == (None, VOCAB)
    assert step.count_params() == model.count_params()  # shared layers, no new weights


def test_language_model_trains_and_predicts():
    model = build_language_model(VOCAB, embedding_dim=8, cell="gru", units=16, dropout=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = _counting_data()
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert model.predict(x[:2], verbose=0).shape == (2, 8, VOCAB)


def test_step_model_needs_a_language_model():
    with pytest.raises(ModelConfigError, match="build_language_model"):
        make_lm_step_model(build_classifier(VOCAB, embedding_dim=4, units=3))


def test_language_model_rejects_bad_arguments():
    with pytest.raises(ModelConfigError, match="`num_layers` must be a positive integer"):
        build_language_model(VOCAB, embedding_dim=4, units=3, num_layers=0)
    with pytest.raises(ModelConfigError, match="`cell` must be one of"):
        build_language_model(VOCAB, embedding_dim=4, cell="LSTMCell", units=3)
    with pytest.raises(ModelConfigError, match="`units` must be a positive integer, got -1"):
        build_language_model(VOCAB, embedding_dim=4, units=-1)


# --------------------------------------------------------------------------- stateful training
def _stateful_pair(cell="gru", num_layers=2, batch=3):
    model = build_language_model(VOCAB, embedding_dim=6, cell=cell, units=8,
                                 num_layers=num_layers)
    stateful = copy_language_model(model, stateful_batch_size=batch)
    return model, stateful


@pytest.mark.parametrize("cell", ["gru", "lstm", "simple"])
def test_stateful_model_carries_state_between_batches(cell):
    model, stateful = _stateful_pair(cell)
    x = np.random.default_rng(1).integers(1, VOCAB, size=(3, 12)).astype("int32")
    whole = keras.ops.convert_to_numpy(model(x))
    first = np.asarray(stateful.predict_on_batch(x[:, :5]))
    second = np.asarray(stateful.predict_on_batch(x[:, 5:]))
    # reading the halves one after the other == reading the whole sequence at once
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-5)
    # without a reset the second half does not start from zero ...
    again = np.asarray(stateful.predict_on_batch(x[:, 5:]))
    fresh = keras.ops.convert_to_numpy(model(x[:, 5:]))
    assert not np.allclose(again, fresh, atol=1e-4)
    # ... after a reset it does
    reset_lm_states(stateful)
    np.testing.assert_allclose(np.asarray(stateful.predict_on_batch(x[:, 5:])), fresh, atol=1e-5)


def test_stateful_model_needs_its_batch_size():
    _, stateful = _stateful_pair(batch=3)
    with pytest.raises(ValueError, match="batch size"):
        stateful.predict_on_batch(np.ones((2, 4), "int32"))
    with pytest.raises(ModelConfigError, match="stateful_batch_size"):
        build_language_model(VOCAB, stateful_batch_size=0)


def test_copy_keeps_weights_and_dropout():
    model = build_language_model(VOCAB, embedding_dim=6, cell="lstm", units=8, num_layers=2,
                                 dropout=0.25)
    copy = copy_language_model(model)
    assert copy.get_layer("dropout_2").rate == 0.25
    x = np.random.default_rng(2).integers(1, VOCAB, size=(2, 7)).astype("int32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(copy(x)),
                               keras.ops.convert_to_numpy(model(x)), atol=1e-6)
    # a stateful model's step model (for generation) runs at any batch size
    stepper = LanguageModelStepper(copy_language_model(model, stateful_batch_size=4))
    logits, states = stepper.step(np.array([1]), stepper.initial_state(1))
    assert logits.shape == (1, VOCAB) and len(states) == 4


def test_stream_token_losses_match_a_hand_computed_cross_entropy():
    model = build_language_model(VOCAB, embedding_dim=6, cell="gru", units=8)
    ids = np.random.default_rng(3).integers(1, VOCAB, size=2 * 30 + 1)
    carried = stream_token_losses(model, ids, batch_size=2, seq_len=10)
    windows = stream_token_losses(model, ids, batch_size=2, seq_len=10, carry_state=False)
    assert carried.shape == windows.shape == (2, 30)
    streams = np.stack([ids[:31], ids[30:61]])  # the two streams, with their last targets
    logits = keras.ops.convert_to_numpy(model(streams[:, :-1].astype("int32")))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, streams[:, 1:, None], -1)[..., 0]
    np.testing.assert_allclose(carried, expected, atol=1e-4)  # state carried across chunks
    # independent windows: only the first chunk of each stream matches the whole-stream run
    np.testing.assert_allclose(windows[:, :10], expected[:, :10], atol=1e-4)
    assert not np.allclose(windows[:, 10:], expected[:, 10:], atol=1e-4)


def _cross_entropy(logits, target):
    logits = np.asarray(logits, np.float64)
    return float(np.log(np.exp(logits).sum()) - logits[target])


def test_dynamic_evaluation_scores_each_chunk_then_takes_one_sgd_step_on_it():
    model = build_language_model(VOCAB, embedding_dim=6, cell="gru", units=8, num_layers=2,
                                 dropout=0.3)
    ids = np.random.default_rng(4).integers(1, VOCAB, size=3 * 10 + 1)
    weights_before = model.get_weights()
    static = stream_token_losses(model, ids, batch_size=1, seq_len=10)
    np.testing.assert_allclose(dynamic_token_losses(model, ids, learning_rate=0.0, seq_len=10),
                               static, atol=1e-5)
    np.testing.assert_allclose(
        dynamic_token_losses(model, ids[:21], learning_rate=0.0, batch_size=2, seq_len=5),
        stream_token_losses(model, ids[:21], batch_size=2, seq_len=5), atol=1e-5)
    adapted = dynamic_token_losses(model, ids, learning_rate=0.5, seq_len=10)
    assert adapted.shape == (1, 30)
    np.testing.assert_allclose(adapted[:, :10], static[:, :10], atol=1e-5)  # nothing learnt yet
    # by hand: the state after chunk 1 comes from the weights that scored it; chunk 2 is then
    # scored by the weights after one SGD step (no dropout) on chunk 1
    reference = copy_language_model(model, dropout=0.0)
    stepper = LanguageModelStepper(reference)  # shares the reference's layers
    states = stepper.initial_state(1)
    for t in range(10):
        _, states = stepper.step(ids[t : t + 1], states)
    reference.compile(optimizer=keras.optimizers.SGD(0.5),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    reference.train_on_batch(ids[None, :10].astype("int32"), ids[None, 1:11].astype("int32"))
    expected = []
    for t in range(10, 20):
        logits, states = stepper.step(ids[t : t + 1], states)
        expected.append(_cross_entropy(np.asarray(logits)[0], ids[t + 1]))
    np.testing.assert_allclose(adapted[0, 10:20], expected, atol=1e-4)
    assert not np.allclose(adapted[:, 10:], static[:, 10:], atol=1e-3)
    for after, before in zip(model.get_weights(), weights_before, strict=True):
        np.testing.assert_array_equal(after, before)  # a copy learnt, not the model


def test_dynamic_evaluation_learns_a_phrase_that_repeats():
    model = build_language_model(VOCAB, embedding_dim=6, cell="gru", units=16)
    ids = np.tile(np.random.default_rng(6).integers(1, VOCAB, size=7), 50)
    static = stream_token_losses(model, ids, batch_size=1, seq_len=10)
    adapted = dynamic_token_losses(model, ids, learning_rate=1.0, seq_len=10)
    assert adapted[:, -50:].mean() < 0.6 * static[:, -50:].mean()  # static: about log(VOCAB)


@pytest.mark.parametrize("rate", [-0.1, float("nan"), float("inf"), True, "0.1"])
def test_dynamic_evaluation_rejects_a_bad_learning_rate(rate):
    model = build_language_model(VOCAB, embedding_dim=4, cell="gru", units=4)
    with pytest.raises(ValueError, match="learning_rate"):
        dynamic_token_losses(model, np.arange(1, VOCAB), learning_rate=rate, seq_len=5)


def test_stateful_fit_carries_state_within_an_epoch_and_resets_between():
    batch, seq_len = 4, 5
    ids = np.random.default_rng(5).integers(1, VOCAB, size=batch * 30 + 1)
    model = build_language_model(VOCAB, embedding_dim=6, cell="lstm", units=8, num_layers=2,
                                 stateful_batch_size=batch)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = ContiguousStreams(ids, batch, seq_len)
    seen = []

    def state_norm():
        states = [v for name in ("rnn_1", "rnn_2") for v in model.get_layer(name).states]
        if any(v._value is None for v in states):
            return None  # JAX keeps variable values inside its compiled loop during an epoch
        return sum(float(np.abs(keras.ops.convert_to_numpy(v)).sum()) for v in states)

    class Spy(ResetStatesCallback):
        def on_train_batch_begin(self, batch_index, logs=None):
            seen.append(("train", batch_index, state_norm()))

        def on_test_batch_begin(self, batch_index, logs=None):
            seen.append(("test", batch_index, state_norm()))

    result = fit(model, data, data, epochs=3, shuffle=False, callbacks=[Spy()])
    assert len(seen) == 3 * 2 * len(data)
    for kind, index, norm in seen:
        if norm is None:
            continue
        if index == 0:
            assert norm == 0.0, (kind, index)  # every epoch and every evaluation starts at zero
        else:
            assert norm > 0.0, (kind, index)  # later batches continue from the carried state
    assert result.history["loss"][-1] < result.history["loss"][0]
    # evaluation inside fit scores the same streams as stream_token_losses
    losses = stream_token_losses(model, ids, batch_size=batch, seq_len=seq_len)
    np.testing.assert_allclose(losses.mean(), model.evaluate(data, verbose=0), rtol=1e-4)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_parameters_leave_out_the_carried_state(cell):
    """A stateful model learns the same weights as a stateless one; its state is not counted."""
    from rnnbook.models import count_parameters

    stateless = build_language_model(20, embedding_dim=4, cell=cell, units=6, num_layers=2)
    stateful = build_language_model(20, embedding_dim=4, cell=cell, units=6, num_layers=2,
                                    stateful_batch_size=3)
    states = (2 if cell == "lstm" else 1) * 2 * 3 * 6  # per layer: h (and c), 3 streams x 6
    assert count_parameters(stateless) == stateless.count_params()
    assert count_parameters(stateful) == count_parameters(stateless)
    assert stateful.count_params() == count_parameters(stateful) + states
