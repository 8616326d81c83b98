"""Many-to-many next-token language model, stateful training helpers, and a one-step model.

- `build_language_model`: token ids -> next-token logits; `stateful_batch_size=B` gives a model
  whose recurrent layers carry their state from one batch of `B` rows to the next (truncated
  backpropagation through time over `rnnbook.lm_data.ContiguousStreams`).
- `ResetStatesCallback`, `reset_lm_states`: zero the carried states (each epoch, each evaluation).
- `copy_language_model`: the same weights in a stateful or stateless model.
- `stream_token_losses`: per-token losses over a text read as contiguous streams with the state
  carried (how a stateful model is scored), or in independent windows (`carry_state=False`).
- `dynamic_token_losses`: per-token losses of a model that keeps learning from the text it has
  already scored (dynamic evaluation).
- `make_lm_step_model`, `LanguageModelStepper`: one token per step, for generation.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from rnnbook.lm_data import ContiguousStreams
from rnnbook.models.recurrent import (
    CELL_TYPES,
    ModelConfigError,
    check_cell,
    check_positive_int,
    check_rate,
    embedded_ids,
    make_rnn_layer,
    num_states,
)


def _carried_state_class(base: type[keras.layers.Layer]) -> type[keras.layers.Layer]:
    """`base` whose stateful call starts from a *copy* of its state variables.

    Keras' stateful RNN layers read their state variables as the initial state and overwrite
    them in place after the loop (here they are tracked weights, see `_create_state_variables`).
    On PyTorch the fused GRU/LSTM loops keep the initial state for the backward pass, and the
    in-place update then breaks autograd ("modified by an inplace operation"); starting from a
    copy works on every backend and changes nothing else.
    """

    def call(self: Any, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool = False) -> Any:
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = [keras.ops.copy(state) for state in self.states]
        return base.call(self, sequences, initial_state=initial_state, mask=mask,
                         training=training)

    def _create_state_variables(self: Any, batch_size: int) -> None:
        # Keras creates its state variables untracked, so JAX's compiled train/predict steps
        # never hand their new values back and every batch starts from zero again; as tracked
        # non-trainable weights they are carried on every backend.
        self.states = [
            self.add_weight(shape=tuple(int(d) for d in state.shape), initializer="zeros",
                            trainable=False, name=f"rnn_state_{i}")
            for i, state in enumerate(self.get_initial_state(batch_size))
        ]

    cls = type(f"Carried{base.__name__}", (base,), {
        "call": call, "_create_state_variables": _create_state_variables, "__module__": __name__,
    })
    return keras.saving.register_keras_serializable("rnnbook")(cls)


_CARRIED_TYPES = {name: _carried_state_class(cls) for name, cls in CELL_TYPES.items()}


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
    stateful_batch_size: int | None = None,
    name: str = "language_model",
) -> keras.Model:
    """Token ids `[B, T]` → next-token logits `[B, T, vocab_size]`.

    Train with `SparseCategoricalCrossentropy(from_logits=True)` on targets shifted by one.
    The recurrent layers are named `rnn_1..rnn_n` and built with `return_state=True` (the
    training graph ignores the states) so that `make_lm_step_model` can reuse them, weights
    and all, with explicit initial states. `mask_zero=False` by default: contiguous text chunks
    have no padding, and unmasked layers keep the cuDNN path on every backend.

    `dropout` is applied to the output of every recurrent layer (between layers and before the
    output layer), not to the recurrent connections, which keeps the fast kernels.
    `stateful_batch_size=B` fixes the batch size to `B` and makes the recurrent layers stateful:
    the final state of each row becomes the initial state of the same row in the next batch
    until `reset_lm_states` (or `ResetStatesCallback`) zeroes it.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    cell = check_cell(cell)
    num_layers = check_positive_int("num_layers", num_layers)
    dropout = check_rate("dropout", dropout)
    stateful = stateful_batch_size is not None
    batch = check_positive_int("stateful_batch_size", stateful_batch_size) if stateful else None
    tokens, x = embedded_ids(vocab_size, embedding_dim, matrix=embedding_matrix,
                             trainable=trainable_embedding, mask_zero=mask_zero,
                             batch_size=batch)
    for i in range(num_layers):
        if stateful:
            layer = _CARRIED_TYPES[cell](units, return_sequences=True, return_state=True,
                                         stateful=True, name=f"rnn_{i + 1}")
        else:
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


def count_parameters(model: keras.Model) -> int:
    """The model's parameters: every weight but the carried state of its stateful layers.

    ``model.count_params()`` also counts that state (tracked weights, so that it is carried on
    every backend), which is data the model holds between batches, not something it learns:
    a stateful GRU 1x128 on 32 streams would count 4,096 more than the same GRU stateless.
    """
    return int(sum(math.prod(w.shape) for w in model.weights
                   if not w.path.rsplit("/", 1)[-1].startswith("rnn_state_")))


def reset_lm_states(model: keras.Model) -> None:
    """Zero the carried states of a stateful language model (no-op for a stateless one)."""
    for layer in _lm_parts(model)[1]:
        if layer.stateful:
            layer.reset_state()


class ResetStatesCallback(keras.callbacks.Callback):
    """Zero a stateful language model's states at the start of every epoch and evaluation.

    Each epoch then reads the streams from their start, and validation does not start from (or
    leave behind) the state of the training text.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        reset_lm_states(self.model)

    def on_test_begin(self, logs: dict | None = None) -> None:
        reset_lm_states(self.model)

    def on_test_end(self, logs: dict | None = None) -> None:
        reset_lm_states(self.model)


def _cell_name(layer: Any) -> str:
    for name, cls in CELL_TYPES.items():
        if type(layer) in (cls, _CARRIED_TYPES[name]):
            return name
    raise ModelConfigError(f"unknown recurrent layer {type(layer).__name__}")


def copy_language_model(model: keras.Model, *, stateful_batch_size: int | None = None,
                        dropout: float | None = None) -> keras.Model:
    """A new language model with `model`'s architecture and weights, stateful or not.

    Use it to generate from (or score window by window) a model trained statefully, or to score
    a stateless model with its state carried (`stateful_batch_size=B`). `dropout` replaces the
    model's own rate (None keeps it); it only matters if the copy is trained.
    """
    embedding, rnns, _ = _lm_parts(model)
    if dropout is None:
        try:
            dropout = float(model.get_layer("dropout_1").rate)
        except ValueError:
            dropout = 0.0
    copy = build_language_model(
        int(embedding.input_dim), embedding_dim=int(embedding.output_dim),
        cell=_cell_name(rnns[0]), units=int(rnns[0].units), num_layers=len(rnns),
        dropout=dropout, mask_zero=bool(embedding.mask_zero),
        stateful_batch_size=stateful_batch_size, name=model.name)
    for target, source in zip(copy.trainable_weights, model.trainable_weights, strict=True):
        # trainable only (a stateful model also holds its carried states); through NumPy, so the
        # two models never share a buffer that JAX may donate to a compiled step
        target.assign(keras.ops.convert_to_numpy(source))
    return copy


def stream_token_losses(
    model: keras.Model,
    ids: Any,
    *,
    batch_size: int,
    seq_len: int,
    carry_state: bool = True,
) -> np.ndarray:
    """Per-token cross-entropy (nats) `[batch_size, n]` of `model` on `ids`.

    With `carry_state` the text is cut into `batch_size` contiguous streams
    (`ContiguousStreams`) and read `seq_len` tokens at a time by a stateful copy of `model` that
    carries its state from chunk to chunk: row `j` of the result is stream `j` in reading order.
    Without it every chunk starts from a zero state (independent windows). Both score the same
    targets, so the two means are directly comparable; the mean of the result is a per-token
    average (every chunk is full, nothing is masked).
    """
    data = ContiguousStreams(ids, batch_size, seq_len)
    scorer = copy_language_model(model, stateful_batch_size=batch_size if carry_state else None)
    reset_lm_states(scorer)
    losses = []
    for i in range(len(data)):
        x, y = data[i]
        losses.append(_token_losses(scorer.predict_on_batch(x), y))
    return np.concatenate(losses, axis=1)


def _token_losses(logits: Any, targets: np.ndarray) -> np.ndarray:
    """Cross-entropy (nats, float64) of every target under `logits` `[..., V]`."""
    logits = np.asarray(logits, np.float64)
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(logits).sum(axis=-1))
    return log_z - np.take_along_axis(logits, targets[..., None].astype(np.int64), -1)[..., 0]


def dynamic_token_losses(
    model: keras.Model,
    ids: Any,
    *,
    learning_rate: float,
    batch_size: int = 1,
    seq_len: int = 50,
) -> np.ndarray:
    """Per-token cross-entropy (nats) `[batch_size, n]` of `model` reading `ids` while it learns.

    Dynamic evaluation (Mikolov et al. 2010; Krause et al. 2018): the text is read as in
    `stream_token_losses` (`batch_size` contiguous streams side by side, `seq_len` tokens at a
    time, the state carried), but after each batch of chunks is scored the model takes one plain
    SGD step (rate `learning_rate`, no dropout) on those chunks. Every token is still predicted
    before the model learns from it; the model adapts to what it has read so far (the names,
    words and style of the text at hand). One stream adapts most; more streams run faster and
    adapt a little less. `model` itself is not changed (a copy learns). `learning_rate=0` gives
    exactly `stream_token_losses(model, ids, batch_size=batch_size, seq_len=seq_len)`.
    """
    if isinstance(learning_rate, bool) or not (
        isinstance(learning_rate, int | float) and 0 <= learning_rate < math.inf
    ):
        raise ValueError(f"learning_rate must be a finite number >= 0, got {learning_rate!r}")
    data = ContiguousStreams(ids, batch_size, seq_len)
    reader = copy_language_model(model, stateful_batch_size=batch_size, dropout=0.0)
    reader.compile(optimizer=keras.optimizers.SGD(learning_rate),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    reset_lm_states(reader)
    states = [state for layer in _lm_parts(reader)[1] for state in layer.states]
    losses = []
    for i in range(len(data)):
        x, y = data[i]
        before = [keras.ops.convert_to_numpy(state) for state in states]
        losses.append(_token_losses(reader.predict_on_batch(x), y))
        if learning_rate > 0:
            # the training step reads the chunk again from the state it was scored from
            for state, value in zip(states, before, strict=True):
                state.assign(value)
            reader.train_on_batch(x, y)
    return np.concatenate(losses, axis=1)


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
        if any(layer.stateful for layer in _lm_parts(model)[1]):
            model = copy_language_model(model)  # the step model passes its states explicitly
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
