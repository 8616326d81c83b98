"""Many-to-many aligned sequence tagger (e.g. CoNLL-2003 NER), optionally with chars and a CRF.

Two output kinds:

- `crf=False`: a plain functional model; `predict` gives tag probabilities `[B, T, K]`
  (softmax). Train with `sparse_categorical_crossentropy`; the word mask keeps padding out.
- `crf=True`: a `CRFTagger` (a functional `keras.Model` subclass) whose output is the CRF
  layer's emission potentials `[B, T, K]`. Its `compute_loss` is the CRF negative
  log-likelihood, so `model.compile(optimizer=...)` needs no `loss`; decode with
  `crf_decode(model, x)` (Viterbi). `model.predict` still returns potentials.

`predict_tags(model, x)` returns tag ids `[B, T]` for either kind (argmax or Viterbi).

Tag id `pad_tag` (default 0, the `<pad>` of `Vocabulary.from_tokens(tags, reserved=('<pad>',))`)
labels padding only: an `ExcludeTag` layer gives it a score of -1e9 so that neither the softmax
nor the CRF can choose it at a real word. The output layers compute in float32 whatever the
global dtype policy (keras-io's rule for mixed precision).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from rnnbook.layers.char_features import CharFeatures
from rnnbook.layers.crf import CRF, crf_viterbi_decode
from rnnbook.models.recurrent import (
    ModelConfigError,
    build_recurrent_stack,
    check_positive_int,
    check_rate,
    embedded_ids,
)


def _word_ids(x: Any) -> Any:
    """The word-id input `[B, T]` from `x` (array, `[words, chars]` or `{'words': ...}`)."""
    if isinstance(x, dict):
        return x["words"]
    if isinstance(x, list | tuple):
        return x[0]
    return x


EXCLUDED_SCORE = -1e9


@keras.saving.register_keras_serializable(package="rnnbook")
class ExcludeTag(keras.layers.Layer):
    """Set the score of one tag (the padding label) to -1e9 at every position, in float32.

    Args:
        tag: the tag id that must never be predicted.
    """

    def __init__(self, tag: int, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if isinstance(tag, bool) or not isinstance(tag, int) or tag < 0:
            raise ModelConfigError(f"`pad_tag` must be a tag id (an int >= 0), got {tag!r}.")
        self.tag = tag
        self.supports_masking = True

    def call(self, scores: Any) -> Any:
        scores = ops.cast(scores, "float32")
        column = ops.equal(ops.arange(ops.shape(scores)[-1]), self.tag)
        return ops.where(column, ops.full_like(scores, EXCLUDED_SCORE), scores)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "tag": self.tag}


@keras.saving.register_keras_serializable(package="rnnbook")
class CRFTagger(keras.Model):
    """A functional tagger ending in a `CRF` layer, trained on the CRF negative log-likelihood.

    Build it like a functional model, `CRFTagger(inputs, potentials)`, where the first input
    (or the one named `words`) holds word ids with 0 as padding: the mask comes from it.
    """

    @property
    def crf(self) -> CRF:
        """The CRF layer (the last one)."""
        for layer in reversed(self.layers):
            if isinstance(layer, CRF):
                return layer
        raise ModelConfigError("CRFTagger has no CRF layer.")

    def word_mask(self, x: Any) -> Any:
        """Boolean `[B, T]` mask of real (non-padding) words."""
        return ops.not_equal(ops.convert_to_tensor(_word_ids(x)), 0)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """Mean CRF negative log-likelihood (+ any regularisation losses).

        `sample_weight` weighs sentences: shape `[B]` or `[B, 1]`. Per-token weights `[B, T]`
        (also what `class_weight` produces) are rejected: the CRF likelihood is one number per
        sentence and does not split into per-token terms.
        """
        nll = -self.crf.log_likelihood(y_pred, y, self.word_mask(x))
        if sample_weight is not None:
            weights = ops.cast(ops.convert_to_tensor(sample_weight), nll.dtype)
            shape = tuple(weights.shape)
            if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
                raise ValueError(
                    "CRFTagger: sample_weight must hold one weight per sentence, shape [batch] "
                    f"or [batch, 1]; got shape {shape}. Per-token weights (and class_weight) do "
                    "not apply to a CRF, whose loss is one log-likelihood per sentence."
                )
            nll = nll * ops.reshape(weights, (-1,))
        loss = ops.mean(nll)
        for extra in self.losses:
            loss = loss + ops.cast(extra, loss.dtype)
        return loss

    def decode(self, x: Any, batch_size: int = 64) -> np.ndarray:
        """Viterbi tag ids `[B, T]` (0 at padding)."""
        return crf_decode(self, x, batch_size=batch_size)


FORBIDDEN_SCORE = -1e4


def crf_decode(model: CRFTagger, x: Any, *, batch_size: int = 64,
               forbidden: tuple[Any, Any] | None = None) -> np.ndarray:
    """Viterbi-decode a `CRFTagger`: tag ids `[B, T]` int32, 0 at padded positions.

    `forbidden = (transitions [K, K] bool, start [K] bool)` marks tag pairs `(i, j)` that may
    not follow each other and tags that may not start a sentence (e.g. from
    `rnnbook.tagging.iob2_forbidden`); they get a score of -1e4 during decoding only.
    """
    potentials = model.predict(x, batch_size=batch_size, verbose=0)
    transitions, start, end = (keras.ops.convert_to_numpy(v) for v in model.crf._params())
    if forbidden is not None:
        bad_pairs, bad_start = (np.asarray(f, dtype=bool) for f in forbidden)
        if bad_pairs.shape != transitions.shape or bad_start.shape != start.shape:
            raise ValueError(f"forbidden must be ([K, K], [K]) booleans with K = "
                             f"{len(start)}, got shapes {bad_pairs.shape}, {bad_start.shape}")
        transitions = np.where(bad_pairs, FORBIDDEN_SCORE, transitions)
        start = np.where(bad_start, FORBIDDEN_SCORE, start)
    tags, _ = crf_viterbi_decode(potentials, transitions, start, end, model.word_mask(x))
    return keras.ops.convert_to_numpy(tags).astype("int32")


def predict_tags(model: keras.Model, x: Any, *, batch_size: int = 64,
                 forbidden: tuple[Any, Any] | None = None) -> np.ndarray:
    """Tag ids `[B, T]` from any `build_tagger` model (Viterbi with a CRF, else argmax).

    Padded positions (word id 0) are set to 0; strip them with the word mask. `forbidden`
    (see `crf_decode`) needs a CRF.
    """
    if isinstance(model, CRFTagger):
        return crf_decode(model, x, batch_size=batch_size, forbidden=forbidden)
    if forbidden is not None:
        raise ValueError("forbidden transitions need a CRF tagger; a softmax tagger chooses "
                         "each tag on its own")
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    mask = np.asarray(_word_ids(x)) != 0
    return (np.argmax(probs, axis=-1) * mask).astype("int32")


def build_tagger(
    vocab_size: int,
    num_tags: int,
    *,
    embedding_dim: int | None = 64,
    cell: str = "lstm",
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = True,
    merge_mode: str = "concat",
    dropout: float = 0.0,
    embedding_matrix: Any | None = None,
    trainable_embedding: bool = True,
    char_vocab_size: int | None = None,
    char_encoder: str = "cnn",
    char_embedding_dim: int = 25,
    char_units: int = 32,
    char_kernel_size: int = 3,
    crf: bool = False,
    pad_tag: int | None = 0,
    length_aware: bool = False,
    name: str = "tagger",
) -> keras.Model:
    """Word ids `[B, T]` (and optionally char ids `[B, T, W]`) → one tag per word.

    Inputs are `words` (0 = padding), plus `chars` when `char_vocab_size` is given (then call
    the model on `[words, chars]`). Character features (`CharFeatures`, CNN or BiLSTM) are
    concatenated to the word embeddings before the (bi)recurrent stack; their layer returns
    the word mask, so padding stays masked. `pad_tag` (default 0; `None` for none) is the tag
    id of padding, which the model can never predict at a real word. `length_aware` runs the
    word recurrent stack and the char BiLSTM through `LengthAwareRNN` (same numbers for
    right-padded batches, but JAX and PyTorch keep their fused kernels).

    Returns:
        A functional model with softmax output `[B, T, num_tags]` when `crf=False`, else a
        `CRFTagger` with emission potentials `[B, T, num_tags]` (see the module docstring).
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    num_tags = check_positive_int("num_tags", num_tags)
    dropout = check_rate("dropout", dropout)
    words, x = embedded_ids(vocab_size, embedding_dim, matrix=embedding_matrix,
                            trainable=trainable_embedding, input_name="words")
    inputs = [words]
    if char_vocab_size is not None:
        try:
            char_layer = CharFeatures(
                char_vocab_size,
                embedding_dim=char_embedding_dim,
                encoder=char_encoder,
                units=char_units,
                kernel_size=char_kernel_size,
                length_aware=length_aware,
                name="char_features",
            )
        except ValueError as err:
            raise ModelConfigError(str(err)) from err
        chars = keras.Input(shape=(None, None), dtype="int32", name="chars")
        inputs.append(chars)
        x = keras.layers.Concatenate(name="word_and_chars")([x, char_layer(chars)])
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="input_dropout")(x)
    x = build_recurrent_stack(
        x,
        cell=cell,
        units=units,
        num_layers=num_layers,
        bidirectional=bidirectional,
        merge_mode=merge_mode,
        dropout=dropout,
        return_sequences=True,
        length_aware=length_aware,
    )
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    model_inputs = inputs if len(inputs) > 1 else words
    head_name = "potentials" if crf else "logits"
    scores = keras.layers.Dense(num_tags, dtype="float32", name=head_name)(x)
    if pad_tag is not None:
        valid = isinstance(pad_tag, int) and not isinstance(pad_tag, bool)
        if not valid or not 0 <= pad_tag < num_tags:
            raise ModelConfigError(
                f"`pad_tag` must be None or a tag id in [0, {num_tags}), got {pad_tag!r}."
            )
        scores = ExcludeTag(pad_tag, name="exclude_pad_tag")(scores)
    if not crf:
        probs = keras.layers.Activation("softmax", dtype="float32", name="probs")(scores)
        return keras.Model(model_inputs, probs, name=name)
    potentials = CRF(num_tags, name="crf")(scores)
    return CRFTagger(model_inputs, potentials, name=name)
