"""Language model: training, and the stateful step model used for generation."""

import keras
import numpy as np
import pytest

from rnnbook.models import (
    LanguageModelStepper,
    ModelConfigError,
    build_classifier,
    build_language_model,
    make_lm_step_model,
)

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
