"""ULMFiT-style transfer: pretrain a word-level language model on unlabelled reviews, then start a
classifier's embedding and first recurrent layer from its weights (Howard & Ruder 2018).

A bidirectional classifier takes a forward language model's weights in its forward layer and a
backward one's (trained on reversed reviews) in its backward layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from rnnbook.models.recurrent import check_positive_int, embedded_ids, make_rnn_layer

__all__ = ["build_word_lm", "lm_windows", "saturated_share", "transfer_lm_weights"]


def build_word_lm(vocab_size: int, *, embedding_dim: int, units: int, cell: str = "lstm",
                  embedding_matrix: Any | None = None, trainable_embedding: bool = True,
                  num_targets: int | None = None, name: str = "word_lm") -> keras.Model:
    """Token ids ``[B, T]`` → next-token probabilities ``[B, T, num_targets]``.

    The embedding (``"embedding"``) and recurrent layer (``"rnn_1"``) have the shapes of
    ``build_classifier(vocab_size, embedding_dim=..., units=..., cell=...)``'s, so
    :func:`transfer_lm_weights` can copy them. ``num_targets`` (default ``vocab_size``) predicts
    only the first, most frequent ids: the softmax over the vocabulary is most of a word language
    model's cost, and :func:`lm_windows` with the same ``num_targets`` maps rarer targets to
    ``<unk>``. ``trainable_embedding=False`` keeps ``embedding_matrix`` fixed: a forward and a
    backward model then share one embedding, and a bidirectional classifier can take both
    recurrent layers without averaging two embeddings that drifted apart.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    num_targets = vocab_size if num_targets is None else check_positive_int("num_targets",
                                                                            num_targets)
    if num_targets > vocab_size:
        raise ValueError(f"num_targets must be at most vocab_size ({vocab_size}), got "
                         f"{num_targets}")
    tokens, x = embedded_ids(vocab_size, embedding_dim, matrix=embedding_matrix,
                             trainable=trainable_embedding)
    x = make_rnn_layer(cell, units, return_sequences=True, name="rnn_1")(x)
    probs = keras.layers.Dense(num_targets, activation="softmax", dtype="float32",
                               name="next_token")(x)
    return keras.Model(tokens, probs, name=name)


def lm_windows(ids: Sequence[Sequence[int]], window: int, *, reverse: bool = False,
               max_windows: int | None = None, num_targets: int | None = None,
               unk_id: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets ``int32 [N, window]`` cut from the reviews end to end.

    Each review is reversed first when ``reverse`` (for a backward model). The reviews are
    concatenated into one stream and cut into ``N`` non-overlapping windows; the target is the
    input shifted by one token. ``max_windows`` keeps only the first ones. With
    ``num_targets``, a target id of ``num_targets`` or more becomes ``unk_id`` (the inputs keep
    every id), to match ``build_word_lm(..., num_targets=...)``.
    """
    window = check_positive_int("window", window)
    if num_targets is not None:
        num_targets = check_positive_int("num_targets", num_targets)
        if not 0 <= unk_id < num_targets:
            raise ValueError(f"unk_id must be below num_targets ({num_targets}), got {unk_id}")
    stream = np.concatenate([np.asarray(r, dtype=np.int32)[::-1] if reverse else
                             np.asarray(r, dtype=np.int32) for r in ids if len(r)])
    n = (len(stream) - 1) // window
    if max_windows is not None:
        n = min(n, max_windows)
    if n <= 0:
        raise ValueError(f"{len(stream)} tokens are too few for one window of {window} (+1)")
    x = stream[: n * window].reshape(n, window)
    y = stream[1 : n * window + 1].reshape(n, window)
    if num_targets is not None:
        y = np.where(y < num_targets, y, np.int32(unk_id))
    return x, y


def _directions(layer: keras.layers.Layer) -> tuple[keras.layers.Layer, keras.layers.Layer | None]:
    """(forward, backward or None) recurrent layers of a plain, Bidirectional or length-aware
    layer."""
    if hasattr(layer, "forward_layer"):
        return layer.forward_layer, getattr(layer, "backward_layer", None)
    return layer, None


def transfer_lm_weights(classifier: keras.Model, forward_lm: keras.Model,
                        backward_lm: keras.Model | None = None) -> list[str]:
    """Copy the language models' embedding and recurrent weights into ``classifier``.

    The embedding comes from ``forward_lm`` (averaged with ``backward_lm``'s when both are
    given); the first recurrent layer's forward direction from ``forward_lm`` and, in a
    bidirectional classifier, its backward direction from ``backward_lm``. Returns what was
    copied. Raises ``ValueError`` when a shape does not match (different vocabulary or units).
    """
    copied = []
    emb = classifier.get_layer("embedding")
    lm_emb = [forward_lm.get_layer("embedding").get_weights()[0]]
    if backward_lm is not None:
        lm_emb.append(backward_lm.get_layer("embedding").get_weights()[0])
    matrix = np.mean(lm_emb, axis=0)
    if emb.get_weights()[0].shape != matrix.shape:
        raise ValueError(f"embedding shapes differ: classifier {emb.get_weights()[0].shape}, "
                         f"language model {matrix.shape}")
    emb.set_weights([matrix])
    copied.append("embedding")
    forward, backward = _directions(classifier.get_layer("rnn_1"))
    pairs = [("forward", forward, forward_lm)]
    if backward is not None and backward_lm is not None:
        pairs.append(("backward", backward, backward_lm))
    for label, target, lm in pairs:
        weights = lm.get_layer("rnn_1").get_weights()
        if [w.shape for w in target.get_weights()] != [w.shape for w in weights]:
            raise ValueError(f"rnn_1 ({label}) shapes differ: classifier "
                             f"{[w.shape for w in target.get_weights()]}, language model "
                             f"{[w.shape for w in weights]}")
        target.set_weights(weights)
        copied.append(f"rnn_1 ({label})")
    return copied


def saturated_share(model: keras.Model, ids: Any, *, layer: str = "rnn_1", threshold: float = 0.9,
                    batch_size: int = 500) -> float:
    """Share of ``layer``'s outputs at real tokens (ids ≠ 0) whose magnitude exceeds ``threshold``.

    A tanh unit near ±1 passes almost no gradient (its derivative, 1 − h², is near 0) and says the
    same thing about every review. ``ids`` are right-padded ``[B, T]``; ``layer`` must return one
    vector per token (``return_sequences=True``).
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must be [batch, time], got shape {ids.shape}")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    outputs = keras.ops.convert_to_numpy(probe.predict(ids, batch_size=batch_size, verbose=0))
    if outputs.ndim != 3:
        raise ValueError(f"layer {layer!r} returns shape {outputs.shape}, one vector per sequence; "
                         "it needs return_sequences=True")
    return float(np.mean(np.abs(outputs[ids != 0]) > threshold))
