"""Many-to-many next-token language model and a stateful one-step model for generation."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from rnnbook.models.recurrent import (
    ModelConfigError,
    check_cell,
    check_positive_int,
    check_rate,
    make_embedding,
    make_rnn_layer,
    num_states,
    resolve_embedding_dim,
)


def build_language_model(
    vocab_size: int,
    *,
    embedding_dim: int | None = 64,
    cell: str = "lstm",
    units: int = 128,
    num_layers: int = 1,
    dropout: float = 0.0,
    embedding_matrix: Any | None = None,
    trainable_embedding: bool = True,
    mask_zero: bool = False,
    name: str = "language_model",
) -> keras.Model:
    """Token ids `[B, T]` → next-token logits `[B, T, vocab_size]`.

    Train with `SparseCategoricalCrossentropy(from_logits=True)` on targets shifted by one.
    The recurrent layers are named `rnn_1..rnn_n` and built with `return_state=True` (the
    training graph ignores the states) so that `make_lm_step_model` can reuse them, weights
    and all, with explicit initial states. `mask_zero=False` by default: contiguous text chunks
    have no padding, and unmasked layers keep the cuDNN path on every backend.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    check_cell(cell)
    num_layers = check_positive_int("num_layers", num_layers)
    dropout = check_rate("dropout", dropout)
    dim = resolve_embedding_dim(embedding_dim, embedding_matrix)
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = make_embedding(
        vocab_size,
        dim,
        matrix=embedding_matrix,
        trainable=trainable_embedding,
        mask_zero=mask_zero,
        name="embedding",
    )(tokens)
    for i in range(num_layers):
        layer = make_rnn_layer(
            cell, units, return_sequences=True, return_state=True, name=f"rnn_{i + 1}"
        )
        x = layer(x)[0]
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")(x)  # float32 logits
    return keras.Model(tokens, logits, name=name)


def _lm_parts(model: keras.Model) -> tuple[Any, list[Any], Any]:
    """The embedding, recurrent layers (in order) and output layer of a language model."""
    try:
        embedding = model.get_layer("embedding")
        head = model.get_layer("logits")
    except ValueError as err:
        raise ModelConfigError(
            "`model` must come from build_language_model (layers 'embedding', 'rnn_1', ..., "
            f"'logits'); {err}"
        ) from err
    rnns = []
    while True:
        try:
            rnns.append(model.get_layer(f"rnn_{len(rnns) + 1}"))
        except ValueError:
            break
    if not rnns or not all(getattr(layer, "return_state", False) for layer in rnns):
        raise ModelConfigError(
            "`model` needs recurrent layers 'rnn_1', ... built with return_state=True "
            "(use build_language_model)."
        )
    return embedding, rnns, head


def make_lm_step_model(model: keras.Model) -> keras.Model:
    """One generation step sharing `model`'s weights: `[token [B, 1], *states]` →
    `[logits [B, V], *new_states]`.

    States are listed layer by layer: LSTM layers carry `(h, c)`, GRU and SimpleRNN carry `h`;
    each has shape `[B, units]`. Start from zeros (see `LanguageModelStepper.initial_state`).
    Generating `n` tokens therefore costs `n` steps, not `n²`.
    """
    embedding, rnns, head = _lm_parts(model)
    token = keras.Input(shape=(1,), dtype="int32", name="token")
    state_inputs: list[Any] = []
    new_states: list[Any] = []
    x = embedding(token)
    for layer in rnns:
        states = [
            keras.Input(shape=(layer.units,), name=f"{layer.name}_state_{k}")
            for k in range(num_states(layer))
        ]
        outputs = layer(x, initial_state=states)
        x = outputs[0]
        state_inputs += states
        new_states += list(outputs[1:])
    logits = keras.ops.squeeze(head(x), axis=1)
    return keras.Model([token, *state_inputs], [logits, *new_states], name=f"{model.name}_step")


class LanguageModelStepper:
    """Carry the recurrent state of a language model across single-token steps (NumPy in/out).

    Example:

    ```python
    stepper = LanguageModelStepper(model)
    states = stepper.initial_state(batch_size=1)
    logits, states = stepper.step(np.array([start_id]), states)
    ```
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.step_model = make_lm_step_model(model)
        _, rnns, _ = _lm_parts(model)
        self.state_sizes = [layer.units for layer in rnns for _ in range(num_states(layer))]

    def initial_state(self, batch_size: int) -> list[np.ndarray]:
        """Zero states, one `[batch_size, units]` array per state tensor."""
        return [np.zeros((batch_size, size), dtype="float32") for size in self.state_sizes]

    def step(self, token_ids: Any, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Feed one token per row (`[B]` or `[B, 1]`); return logits `[B, V]` and new states."""
        tokens = np.asarray(token_ids, dtype="int32").reshape(-1, 1)
        # predict_on_batch runs the compiled inference function: ~10x faster per step than an
        # eager call, which matters when generating hundreds of tokens one at a time
        outputs = self.step_model.predict_on_batch([tokens, *[np.asarray(s) for s in states]])
        outputs = [np.asarray(o) for o in outputs]
        return outputs[0], outputs[1:]
