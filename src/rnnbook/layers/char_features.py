"""Character-level word features for taggers (char CNN: Ma & Hovy 2016; BiLSTM: Lample+ 2016)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rnnbook.layers.length_aware import LengthAwareRNN
from rnnbook.validation import positive_int

CHAR_ENCODERS = ("cnn", "bilstm")


@keras.saving.register_keras_serializable(package="rnnbook")
class CharFeatures(keras.layers.Layer):
    """Map character ids `[B, T, W]` (0 = padding) to one feature vector per word `[B, T, F]`.

    - `encoder="cnn"`: char embedding → `Conv1D(units, kernel_size, tanh)` → max over the
      word's characters; `F = units`.
    - `encoder="bilstm"`: char embedding → `Bidirectional(LSTM(units))` final states;
      `F = 2 * units`.

    Padding characters are masked. A word made only of padding (a padded word position) still
    reads its first character so every row has one valid step; its features are ignored
    downstream through the word mask, which this layer returns as its Keras mask (a word is
    real when it has at least one non-zero character id, so every real word needs one).

    Args:
        char_vocab_size: number of character ids.
        embedding_dim: character embedding width.
        encoder: `"cnn"` or `"bilstm"`.
        units: CNN filters or LSTM units per direction.
        kernel_size: CNN window width (ignored by the BiLSTM).
        length_aware: run the BiLSTM through `LengthAwareRNN` (same numbers as the masked
            `Bidirectional(LSTM)`, but JAX and PyTorch keep their fused kernels).
    """

    def __init__(
        self,
        char_vocab_size: int,
        *,
        embedding_dim: int = 25,
        encoder: str = "cnn",
        units: int = 32,
        kernel_size: int = 3,
        length_aware: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if encoder not in CHAR_ENCODERS:
            raise ValueError(f"`char_encoder` must be one of {CHAR_ENCODERS}, got {encoder!r}.")
        for arg, value in [
            ("char_vocab_size", char_vocab_size),
            ("char_embedding_dim", embedding_dim),
            ("char_units", units),
            ("char_kernel_size", kernel_size),
        ]:
            positive_int(arg, value)
        self.char_vocab_size = char_vocab_size
        self.embedding_dim = embedding_dim
        self.encoder = encoder
        self.units = units
        self.kernel_size = kernel_size
        self.length_aware = bool(length_aware)
        self.embedding = keras.layers.Embedding(char_vocab_size, embedding_dim, name="char_emb")
        if encoder == "cnn":
            self.conv = keras.layers.Conv1D(
                units, kernel_size, padding="same", activation="tanh", name="char_conv"
            )
        elif self.length_aware:
            self.rnn = LengthAwareRNN(keras.layers.LSTM(units), bidirectional=True,
                                      name="char_bilstm")
        else:
            self.rnn = keras.layers.Bidirectional(keras.layers.LSTM(units), name="char_bilstm")

    @property
    def output_dim(self) -> int:
        """Width `F` of the per-word feature vector."""
        return self.units if self.encoder == "cnn" else 2 * self.units

    def build(self, input_shape: tuple) -> None:
        width = input_shape[-1]
        self.embedding.build((None, width))
        if self.encoder == "cnn":
            self.conv.build((None, width, self.embedding_dim))
        else:
            self.rnn.build((None, width, self.embedding_dim))

    def call(self, chars: Any) -> Any:
        chars = ops.cast(chars, "int32")
        batch, steps, width = ops.shape(chars)[0], ops.shape(chars)[1], ops.shape(chars)[2]
        flat = ops.reshape(chars, (-1, width))  # [B*T, W]
        first = ops.expand_dims(ops.equal(ops.arange(width), 0), 0)
        mask = ops.logical_or(ops.not_equal(flat, 0), first)
        x = self.embedding(flat)
        if self.encoder == "cnn":
            h = self.conv(x)
            h = ops.where(ops.expand_dims(mask, -1), h, ops.full_like(h, -1e9))
            features = ops.max(h, axis=1)
        else:
            features = self.rnn(x, mask=mask)
        return ops.reshape(features, (batch, steps, self.output_dim))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[1], self.output_dim)

    def compute_mask(self, inputs: Any, mask: Any | None = None) -> Any:
        """Word mask `[B, T]`: a word is real when it has at least one non-padding character.

        Returning a mask matters: Keras' `Concatenate` treats a mask-less input as all-True
        and ORs the masks, so without it the word mask is lost and the recurrent layers read
        the padding (and a sentence's tags change with how much its batch is padded).
        """
        return ops.any(ops.not_equal(ops.cast(inputs, "int32"), 0), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "char_vocab_size": self.char_vocab_size,
            "embedding_dim": self.embedding_dim,
            "encoder": self.encoder,
            "units": self.units,
            "kernel_size": self.kernel_size,
            "length_aware": self.length_aware,
        }
