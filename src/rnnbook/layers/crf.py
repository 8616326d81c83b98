"""A linear-chain conditional random field (CRF) written with `keras.ops`.

For emission potentials `e[b, t, k]` (scores of tag `k` at step `t`, from a Dense layer),
transition scores `A[i, j]` (tag `i` followed by tag `j`) and start/end scores, a tag path
`y` of a sequence of length `L` scores

    s(y) = start[y_0] + e[0, y_0] + sum_{t=1}^{L-1} (A[y_{t-1}, y_t] + e[t, y_t]) + end[y_{L-1}]

and `p(y | x) = exp(s(y)) / Z` with `log Z = logsumexp over all paths` (forward algorithm).
`viterbi_decode` finds `argmax_y s(y)` by dynamic programming. Masks are boolean `[B, T]`,
right-padded, with at least one True step per row; padded steps are skipped.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def _tensors(*values: Any) -> tuple[Any, ...]:
    """Convert arrays to backend tensors (NumPy inputs would not broadcast as tensors do)."""
    return tuple(ops.convert_to_tensor(v) for v in values)


def _prepare_mask(potentials: Any, mask: Any | None) -> Any:
    """A float `[B, T]` mask (all ones when `mask` is None)."""
    if mask is None:
        return ops.ones(ops.shape(potentials)[:2], dtype=potentials.dtype)
    return ops.cast(mask, potentials.dtype)


def crf_log_partition(
    potentials: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> Any:
    """`log Z` per sequence `[B]` by the forward algorithm (a loop over time steps)."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    m = _prepare_mask(potentials, mask)
    alpha = start[None, :] + potentials[:, 0, :]

    def body(t: Any, alpha: Any) -> Any:
        e_t = ops.take(potentials, t, axis=1)  # [B, K]
        m_t = ops.expand_dims(ops.take(m, t, axis=1), -1)  # [B, 1]
        nxt = ops.logsumexp(ops.expand_dims(alpha, 2) + transitions[None], axis=1) + e_t
        return m_t * nxt + (1.0 - m_t) * alpha

    alpha = ops.fori_loop(1, ops.shape(potentials)[1], body, alpha)
    return ops.logsumexp(alpha + end[None, :], axis=1)


def crf_sequence_score(
    potentials: Any, tags: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> Any:
    """Unnormalised score `s(y)` `[B]` of the tag paths `tags` `[B, T]`."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    tags = ops.cast(tags, "int32")
    m = _prepare_mask(potentials, mask)
    num_tags = ops.shape(potentials)[-1]
    emission = ops.take_along_axis(potentials, ops.expand_dims(tags, -1), axis=-1)[..., 0]
    score = ops.sum(emission * m, axis=1) + ops.take(start, tags[:, 0])
    pair_ids = tags[:, :-1] * num_tags + tags[:, 1:]
    trans = ops.take(ops.reshape(transitions, (-1,)), pair_ids)
    score = score + ops.sum(trans * m[:, 1:], axis=1)
    last = ops.cast(ops.sum(m, axis=1), "int32") - 1
    last_tags = ops.take_along_axis(tags, ops.expand_dims(last, -1), axis=1)[:, 0]
    return score + ops.take(end, last_tags)


def crf_viterbi_decode(
    potentials: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> tuple[Any, Any]:
    """Best tag paths `[B, T]` (int32; 0 at padded steps) and their scores `[B]`."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    m = _prepare_mask(potentials, mask)
    num_tags = ops.shape(potentials)[-1]
    delta = start[None, :] + potentials[:, 0, :]
    identity = ops.zeros_like(ops.cast(delta, "int32")) + ops.arange(num_tags, dtype="int32")
    xs = (ops.transpose(potentials, (1, 0, 2))[1:], ops.transpose(m, (1, 0))[1:])

    def forward(carry: Any, inputs: Any) -> Any:
        delta, _ = carry
        e_t, m_t = inputs
        scores = ops.expand_dims(delta, 2) + transitions[None]  # [B, K_prev, K]
        best_prev = ops.cast(ops.argmax(scores, axis=1), "int32")
        nxt = ops.max(scores, axis=1) + e_t
        keep = ops.expand_dims(m_t, -1) > 0
        carry = (ops.where(keep, nxt, delta), ops.where(keep, best_prev, identity))
        return carry, carry  # Keras' TF scan wants ys shaped like the carry.

    (delta, _), (_, backpointers) = ops.scan(forward, (delta, identity), xs)
    delta = delta + end[None, :]
    best_score = ops.max(delta, axis=1)
    last_tag = ops.cast(ops.argmax(delta, axis=1), "int32")

    def backward(tag: Any, bp_t: Any) -> Any:
        prev = ops.take_along_axis(bp_t, ops.expand_dims(tag, -1), axis=1)[:, 0]
        return prev, tag

    first_tag, later_tags = ops.scan(backward, last_tag, backpointers, reverse=True)
    tags = ops.concatenate([ops.expand_dims(first_tag, 0), later_tags], axis=0)
    tags = ops.transpose(tags, (1, 0)) * ops.cast(m, "int32")
    return tags, best_score


@keras.saving.register_keras_serializable(package="rnnbook")
class CRF(keras.layers.Layer):
    """Linear-chain CRF on top of emission potentials `[B, T, num_tags]`.

    The layer is the identity in the forward pass (it returns the potentials and keeps the
    mask); it owns the transition, start and end scores and computes the negative
    log-likelihood (`nll`) for training and the Viterbi path (`viterbi_decode`) for prediction.
    `rnnbook.models.CRFTagger` wires these into `fit` (as the loss) and `crf_decode`.

    Args:
        num_tags: number of tags `K`.
    """

    def __init__(self, num_tags: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags <= 0:
            raise ValueError(f"`num_tags` must be a positive integer, got {num_tags!r}.")
        self.num_tags = num_tags
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        if input_shape[-1] is not None and input_shape[-1] != self.num_tags:
            raise ValueError(
                f"CRF expects potentials with last axis num_tags={self.num_tags}, "
                f"got input shape {input_shape}."
            )
        init = keras.initializers.RandomUniform(-0.1, 0.1)
        k = self.num_tags
        self.transitions = self.add_weight(shape=(k, k), initializer=init, name="transitions")
        self.start_transitions = self.add_weight(shape=(k,), initializer=init, name="start")
        self.end_transitions = self.add_weight(shape=(k,), initializer=init, name="end")

    def call(self, potentials: Any, mask: Any | None = None) -> Any:
        return potentials

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def _params(self) -> tuple[Any, ...]:
        return _tensors(self.transitions, self.start_transitions, self.end_transitions)

    def log_partition(self, potentials: Any, mask: Any | None = None) -> Any:
        """`log Z` per sequence, `[B]`."""
        return crf_log_partition(potentials, *self._params(), mask)

    def sequence_score(self, potentials: Any, tags: Any, mask: Any | None = None) -> Any:
        """Unnormalised score of `tags`, `[B]`."""
        return crf_sequence_score(potentials, tags, *self._params(), mask)

    def log_likelihood(self, potentials: Any, tags: Any, mask: Any | None = None) -> Any:
        """`log p(tags | x)` per sequence, `[B]`."""
        return self.sequence_score(potentials, tags, mask) - self.log_partition(potentials, mask)

    def nll(self, potentials: Any, tags: Any, mask: Any | None = None) -> Any:
        """Mean negative log-likelihood over the batch (a scalar loss)."""
        return -ops.mean(self.log_likelihood(potentials, tags, mask))

    def viterbi_decode(self, potentials: Any, mask: Any | None = None) -> tuple[Any, Any]:
        """Best tag ids `[B, T]` (0 at padded steps) and their scores `[B]`."""
        return crf_viterbi_decode(potentials, *self._params(), mask)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_tags": self.num_tags}
