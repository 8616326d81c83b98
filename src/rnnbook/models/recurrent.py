"""Shared building blocks: argument checks, embeddings and recurrent stacks.

Every recurrent layer built here keeps Keras' defaults (tanh/sigmoid activations,
`recurrent_dropout=0`, `unroll=False`, `use_bias=True`, GRU `reset_after=True`), so the
TensorFlow backend can use its cuDNN kernel on a GPU. Masks come from `Embedding(mask_zero=True)`
and assume right-padded batches (padding id 0 at the end of each row). Note that on the JAX and
PyTorch backends Keras 3 only takes the cuDNN path when no mask is given.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from rnnbook.layers.length_aware import LengthAwareRNN
from rnnbook.validation import positive_int, rate

CELL_TYPES: dict[str, type[keras.layers.Layer]] = {
    "simple": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}
MERGE_MODES = ("concat", "sum", "mul", "ave")


class ModelConfigError(ValueError):
    """A model builder received an argument it cannot use (the message names it)."""


def check_positive_int(name: str, value: Any) -> int:
    """Return `value` if it is an int > 0, else raise `ModelConfigError` naming `name`."""
    return positive_int(name, value, error=ModelConfigError)


def check_cell(cell: str) -> str:
    """Return the lower-cased cell name, or raise `ModelConfigError` listing the valid ones."""
    key = str(cell).lower()
    if key not in CELL_TYPES:
        raise ModelConfigError(f"`cell` must be one of {sorted(CELL_TYPES)}, got {cell!r}.")
    return key


def check_rate(name: str, value: float) -> float:
    """Return a dropout rate in [0, 1), or raise `ModelConfigError`."""
    return rate(name, value, error=ModelConfigError)


def check_merge_mode(merge_mode: str) -> str:
    """Return a valid `Bidirectional` merge mode, or raise `ModelConfigError`."""
    if merge_mode not in MERGE_MODES:
        raise ModelConfigError(f"`merge_mode` must be one of {MERGE_MODES}, got {merge_mode!r}.")
    return merge_mode


def num_states(layer: keras.layers.Layer) -> int:
    """Number of state tensors a recurrent layer carries: 2 for LSTM, else 1."""
    return 2 if isinstance(layer, keras.layers.LSTM) else 1


def make_rnn_layer(
    cell: str,
    units: int,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    name: str | None = None,
) -> keras.layers.Layer:
    """One recurrent layer with cuDNN-compatible defaults.

    Args:
        cell: `"simple"`, `"lstm"` or `"gru"`.
        units: size of the hidden state.
        return_sequences: return all time steps `[B, T, units]` instead of the last `[B, units]`.
        return_state: also return the final state tensor(s).
        name: layer name.
    """
    layer_cls = CELL_TYPES[check_cell(cell)]
    units = check_positive_int("units", units)
    return layer_cls(units, return_sequences=return_sequences, return_state=return_state, name=name)


def resolve_embedding_dim(embedding_dim: int | None, matrix: Any | None) -> int:
    """Embedding width: `embedding_dim`, or the matrix's second axis when it is omitted."""
    if embedding_dim is None:
        if matrix is None:
            raise ModelConfigError(
                "`embedding_dim` is required when no `embedding_matrix` is given."
            )
        return int(np.shape(matrix)[-1])
    return check_positive_int("embedding_dim", embedding_dim)


def make_embedding(
    vocab_size: int,
    dim: int,
    *,
    matrix: Any | None = None,
    trainable: bool = True,
    mask_zero: bool = True,
    name: str = "embedding",
) -> keras.layers.Embedding:
    """An `Embedding` layer: random, or initialised from `matrix` (e.g. GloVe rows).

    Args:
        vocab_size: number of token ids (rows).
        dim: embedding width (columns).
        matrix: optional float array of shape `(vocab_size, dim)` used as initial weights.
        trainable: `False` freezes the embedding (pretrained-frozen); `True` fine-tunes it.
        mask_zero: treat id 0 as padding and emit a mask for the downstream recurrent layers.
        name: layer name.

    Raises:
        ModelConfigError: sizes are not positive, or `matrix` is not 2-D `(vocab_size, dim)`.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    dim = check_positive_int("embedding_dim", dim)
    weights = None
    if matrix is not None:
        weights = np.asarray(matrix, dtype="float32")
        if weights.ndim != 2:
            raise ModelConfigError(
                "`embedding_matrix` must be a 2-D array of shape (vocab_size, embedding_dim) = "
                f"({vocab_size}, {dim}), got an array with ndim={weights.ndim}."
            )
        if weights.shape != (vocab_size, dim):
            raise ModelConfigError(
                "`embedding_matrix` must have shape (vocab_size, embedding_dim) = "
                f"({vocab_size}, {dim}), got {weights.shape}."
            )
    return keras.layers.Embedding(
        vocab_size, dim, mask_zero=mask_zero, weights=weights, trainable=trainable, name=name
    )


def embedded_ids(
    vocab_size: int,
    embedding_dim: int | None,
    *,
    matrix: Any | None = None,
    trainable: bool = True,
    mask_zero: bool = True,
    input_name: str = "tokens",
    batch_size: int | None = None,
) -> tuple[Any, Any]:
    """An int32 id input `[B, T]` and its embedding: `(ids, make_embedding(...)(ids))`.

    The embedding layer is named `"embedding"`; `embedding_dim=None` takes the width from
    `matrix` (see `resolve_embedding_dim`); `batch_size` fixes the batch size (stateful models).
    """
    dim = resolve_embedding_dim(embedding_dim, matrix)
    ids = keras.Input(batch_shape=(batch_size, None), dtype="int32", name=input_name)
    embedding = make_embedding(vocab_size, dim, matrix=matrix, trainable=trainable,
                               mask_zero=mask_zero, name="embedding")
    return ids, embedding(ids)


def build_recurrent_stack(
    x: Any,
    *,
    cell: str = "lstm",
    units: int = 128,
    num_layers: int = 1,
    bidirectional: bool = False,
    merge_mode: str = "concat",
    dropout: float = 0.0,
    return_sequences: bool = False,
    length_aware: bool = False,
    name: str = "rnn",
) -> Any:
    """Apply `num_layers` recurrent layers to the symbolic tensor `x` (functional API).

    Layers below the top one always return sequences; `Dropout(dropout)` sits between layers
    (no recurrent dropout, which would disable cuDNN). The input mask, if any, flows through.

    Args:
        x: symbolic tensor `[B, T, F]`, usually an embedding output carrying a mask.
        cell: `"simple"`, `"lstm"` or `"gru"`.
        units: hidden size of every layer (per direction when bidirectional).
        num_layers: number of stacked layers.
        bidirectional: wrap each layer in `Bidirectional(merge_mode=merge_mode)`.
        merge_mode: `"concat"`, `"sum"`, `"mul"` or `"ave"`.
        dropout: dropout rate applied between layers.
        return_sequences: whether the top layer returns `[B, T, H]` (else `[B, H]`).
        length_aware: wrap each layer in `LengthAwareRNN`, which honours a right-padded mask
            without handing it to the recurrent layer, so JAX and PyTorch keep their fused
            (cuDNN) kernels; same numbers as the masked layers (see `rnnbook.layers`).
        name: prefix of the layer names (`rnn_1`, `rnn_2`, ...).

    Returns:
        The output tensor of the top layer.
    """
    cell = check_cell(cell)
    check_positive_int("units", units)
    num_layers = check_positive_int("num_layers", num_layers)
    dropout = check_rate("dropout", dropout)
    if bidirectional:
        check_merge_mode(merge_mode)
    for i in range(num_layers):
        top = i == num_layers - 1
        layer = make_rnn_layer(
            cell,
            units,
            return_sequences=return_sequences or not top,
            name=None if bidirectional else f"{name}_{i + 1}",
        )
        if length_aware:
            layer = LengthAwareRNN(
                layer, bidirectional=bidirectional, merge_mode=merge_mode, name=f"{name}_{i + 1}"
            )
        elif bidirectional:
            layer = keras.layers.Bidirectional(layer, merge_mode=merge_mode, name=f"{name}_{i + 1}")
        x = layer(x)
        if dropout > 0 and not top:
            x = keras.layers.Dropout(dropout, name=f"{name}_{i + 1}_dropout")(x)
    return x
