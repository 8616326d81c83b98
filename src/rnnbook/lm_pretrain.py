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

__all__ = ["build_word_lm", "lm_windows", "transfer_lm_weights"]


def build_word_lm(vocab_size: int, *, embedding_dim: int, units: int, cell: str = "lstm",
                  embedding_matrix: Any | None = None, name: str = "word_lm") -> keras.Model:
    """Token ids ``[B, T]`` → next-token probabilities ``[B, T, vocab_size]``.

    The embedding (``"embedding"``) and recurrent layer (``"rnn_1"``) have the shapes of
    ``build_classifier(vocab_size, embedding_dim=..., units=..., cell=...)``'s, so
    :func:`transfer_lm_weights` can copy them.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    tokens, x = embedded_ids(vocab_size, embedding_dim, matrix=embedding_matrix)
    x = make_rnn_layer(cell, units, return_sequences=True, name="rnn_1")(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", dtype="float32",
                               name="next_token")(x)
    return keras.Model(tokens, probs, name=name)


def lm_windows(ids: Sequence[Sequence[int]], window: int, *, reverse: bool = False,
               max_windows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets ``int32 [N, window]`` cut from the reviews end to end.

    Each review is reversed first when ``reverse`` (for a backward model). The reviews are
    concatenated into one stream and cut into ``N`` non-overlapping windows; the target is the
    input shifted by one token. ``max_windows`` keeps only the first ones.
    """
    window = check_positive_int("window", window)
    stream = np.concatenate([np.asarray(r, dtype=np.int32)[::-1] if reverse else
                             np.asarray(r, dtype=np.int32) for r in ids if len(r)])
    n = (len(stream) - 1) // window
    if max_windows is not None:
        n = min(n, max_windows)
    if n <= 0:
        raise ValueError(f"{len(stream)} tokens are too few for one window of {window} (+1)")
    x = stream[: n * window].reshape(n, window)
    y = stream[1 : n * window + 1].reshape(n, window)
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
