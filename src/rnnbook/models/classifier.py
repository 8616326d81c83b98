"""Many-to-one sequence classifier (e.g. IMDB sentiment)."""

from __future__ import annotations

from typing import Any

import keras

from rnnbook.layers.pooling import MaskedTimePooling
from rnnbook.models.recurrent import (
    ModelConfigError,
    build_recurrent_stack,
    check_positive_int,
    check_rate,
    embedded_ids,
)

POOLINGS: dict[str, tuple[str, ...]] = {
    "last": (), "max": ("max",), "mean": ("mean",), "max_mean": ("max", "mean")}


def build_classifier(
    vocab_size: int,
    *,
    embedding_dim: int | None = 64,
    cell: str = "lstm",
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = False,
    merge_mode: str = "concat",
    dropout: float = 0.0,
    embedding_matrix: Any | None = None,
    trainable_embedding: bool = True,
    mask: bool = True,
    length_aware: bool = False,
    num_classes: int = 1,
    pooling: str = "last",
    embedding_dropout: float = 0.0,
    name: str = "classifier",
) -> keras.Model:
    """Token ids `[B, T]` (right-padded with 0) → class probabilities.

    The output is a probability, not a logit: `[B, 1]` sigmoid when `num_classes == 1` (train
    with `binary_crossentropy`), else `[B, num_classes]` softmax (train with
    `sparse_categorical_crossentropy`).

    Args:
        vocab_size: number of token ids.
        embedding_dim: embedding width; `None` takes it from `embedding_matrix`.
        cell: `"simple"`, `"lstm"` or `"gru"`.
        units: hidden size per layer (per direction when bidirectional).
        num_layers: stacked recurrent layers.
        bidirectional: wrap layers in `Bidirectional(merge_mode=merge_mode)`.
        merge_mode: how to merge the two directions.
        dropout: dropout between layers and before the output layer.
        embedding_matrix: optional `(vocab_size, embedding_dim)` initial embedding (e.g. GloVe).
        trainable_embedding: `False` freezes the embedding.
        mask: mask padding id 0 (`Embedding(mask_zero=True)`); without it padded reviews can
            leave an RNN at chance accuracy.
        length_aware: honour the mask through `LengthAwareRNN` (same numbers, but JAX and
            PyTorch keep their fused kernels); needs right-padded input.
        num_classes: 1 for binary, else the number of classes.
        pooling: what the output layer reads: `"last"` the top layer's final state(s); `"max"`,
            `"mean"` or `"max_mean"` the max and/or mean of its outputs over the real time steps
            (`MaskedTimePooling`), so the verdict can come from anywhere in a long review.
        embedding_dropout: rate of *word* dropout on the embeddings: during training each token's
            whole vector is zeroed with this probability (one draw per token, as in ULMFiT).
        name: model name.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    num_classes = check_positive_int("num_classes", num_classes)
    dropout = check_rate("dropout", dropout)
    embedding_dropout = check_rate("embedding_dropout", embedding_dropout)
    if pooling not in POOLINGS:
        raise ModelConfigError(f"`pooling` must be one of {sorted(POOLINGS)}, got {pooling!r}.")
    tokens, x = embedded_ids(vocab_size, embedding_dim, matrix=embedding_matrix,
                             trainable=trainable_embedding, mask_zero=mask)
    if embedding_dropout > 0:
        x = keras.layers.Dropout(embedding_dropout, noise_shape=(None, None, 1),
                                 name="embedding_dropout")(x)
    x = build_recurrent_stack(
        x,
        cell=cell,
        units=units,
        num_layers=num_layers,
        bidirectional=bidirectional,
        merge_mode=merge_mode,
        dropout=dropout,
        return_sequences=pooling != "last",
        length_aware=length_aware and mask,
    )
    if pooling != "last":
        x = MaskedTimePooling(POOLINGS[pooling], name="pooling")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    activation = "sigmoid" if num_classes == 1 else "softmax"
    probs = keras.layers.Dense(
        num_classes, activation=activation, dtype="float32", name="probs"
    )(x)  # float32 output under mixed precision (keras-io's rule)
    return keras.Model(tokens, probs, name=name)
