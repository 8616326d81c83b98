"""A linear-chain conditional random field (CRF) written with `keras.ops`.

For emission potentials `e[b, t, k]` (scores of tag `k` at step `t`, from a Dense layer),
transition scores `A[i, j]` (tag `i` followed by tag `j`) and start/end scores, a tag path
`y` of a sequence of length `L` scores

    s(y) = start[y_0] + e[0, y_0] + sum_{t=1}^{L-1} (A[y_{t-1}, y_t] + e[t, y_t]) + end[y_{L-1}]

and `p(y | x) = exp(s(y)) / Z` with `log Z = logsumexp over all paths` (forward algorithm).
`viterbi_decode` finds `argmax_y s(y)` by dynamic programming.

Masks are boolean `[B, T]` (True = a real step). Masked steps are skipped wherever they are: a
sequence is the ordered list of its real steps, so right padding, left padding and holes all
give the same result as the unpadded sequence, and a row with no real step scores 0. All
computation is in float32 (also under a `mixed_float16` policy), and every function works for
`T = 1` (CoNLL-2003's test set has 33 one-token sentences).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rnnbook.validation import positive_int


def _tensors(*values: Any) -> tuple[Any, ...]:
    """Convert to float32 backend tensors (NumPy inputs would not broadcast as tensors do)."""
    return tuple(ops.cast(ops.convert_to_tensor(v), "float32") for v in values)


def _prepare_mask(potentials: Any, mask: Any | None) -> Any:
    """A float32 `[B, T]` mask (all ones when `mask` is None)."""
    if mask is None:
        return ops.ones(ops.shape(potentials)[:2], dtype="float32")
    mask = ops.convert_to_tensor(mask)
    if len(mask.shape) != 2:
        raise ValueError(f"CRF mask must be [batch, time], got shape {tuple(mask.shape)}.")
    return ops.cast(mask, "float32")


def _time_major(*parts: Any) -> Any:
    """`[B, T, *]` tensors (or `[B, T]` masks) concatenated into one `[T, B, sum]` tensor.

    One tensor, because Keras' TensorFlow `scan` fails on several `xs` whose time axis is
    unknown when traced (as in `fit`).
    """
    parts = [p if len(p.shape) == 3 else ops.expand_dims(p, -1) for p in parts]
    return ops.transpose(ops.concatenate(parts, axis=-1), (1, 0, 2))


def _num_tags(potentials: Any) -> int:
    k = potentials.shape[-1]
    if k is None:
        raise ValueError("CRF potentials need a known number of tags (last axis).")
    return int(k)


def crf_log_partition(
    potentials: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> Any:
    """`log Z` per sequence `[B]` by the forward algorithm (a scan over time steps)."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    m = _prepare_mask(potentials, mask)
    k = _num_tags(potentials)
    zeros = ops.zeros_like(potentials[:, 0, :])  # alpha [B, K]
    started = ops.zeros_like(zeros[:, :1])  # [B, 1]: 1 once a real step was seen

    def step(carry: Any, inputs: Any) -> Any:
        alpha, started = carry
        e_t, m_t = inputs[:, :k], inputs[:, k:]
        cont = ops.logsumexp(ops.expand_dims(alpha, 2) + transitions[None], axis=1) + e_t
        first = start[None, :] + e_t
        nxt = started * cont + (1.0 - started) * first
        carry = (m_t * nxt + (1.0 - m_t) * alpha, ops.maximum(started, m_t))
        return carry, carry  # Keras' TF scan wants ys shaped like the carry.

    (alpha, started), _ = ops.scan(step, (zeros, started), _time_major(potentials, m))
    return ops.logsumexp(alpha + end[None, :], axis=1) * started[:, 0]


def crf_sequence_score(
    potentials: Any, tags: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> Any:
    """Unnormalised score `s(y)` `[B]` of the tag paths `tags` `[B, T]` (tags at masked
    steps are ignored)."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    m = _prepare_mask(potentials, mask)
    k = _num_tags(potentials)
    one_hot = ops.one_hot(ops.cast(tags, "int32"), k, dtype="float32")  # [B, T, K]
    zeros = ops.zeros_like(potentials[:, 0, :])
    score = ops.zeros_like(zeros[:, 0])

    def step(carry: Any, inputs: Any) -> Any:
        prev, score, started = carry  # prev: one-hot of the last real tag [B, K]
        e_t, m_t, y_t = inputs[:, :k], inputs[:, k : k + 1], inputs[:, k + 1 :]
        trans = ops.sum(ops.matmul(prev, transitions) * y_t, axis=1)
        first = ops.sum(start[None, :] * y_t, axis=1)
        s_t = ops.sum(e_t * y_t, axis=1) + started * trans + (1.0 - started) * first
        m_b = m_t[:, 0]
        carry = (m_t * y_t + (1.0 - m_t) * prev, score + m_b * s_t, ops.maximum(started, m_b))
        return carry, carry

    xs = _time_major(potentials, m, one_hot)
    (prev, score, _), _ = ops.scan(step, (zeros, score, ops.zeros_like(score)), xs)
    return score + ops.sum(prev * end[None, :], axis=1)


def crf_viterbi_decode(
    potentials: Any, transitions: Any, start: Any, end: Any, mask: Any | None = None
) -> tuple[Any, Any]:
    """Best tag paths `[B, T]` (int32; 0 at masked steps) and their scores `[B]` (0 for a row
    with no real step)."""
    potentials, transitions, start, end = _tensors(potentials, transitions, start, end)
    m = _prepare_mask(potentials, mask)
    k = _num_tags(potentials)
    zeros = ops.zeros_like(potentials[:, 0, :])
    identity = ops.zeros_like(ops.cast(zeros, "int32")) + ops.arange(k, dtype="int32")
    started = ops.zeros_like(zeros[:, :1])

    def forward(carry: Any, inputs: Any) -> Any:
        delta, _, started = carry
        e_t, m_t = inputs[:, :k], inputs[:, k:]
        scores = ops.expand_dims(delta, 2) + transitions[None]  # [B, K_prev, K]
        best_prev = ops.cast(ops.argmax(scores, axis=1), "int32")
        cont = ops.max(scores, axis=1) + e_t
        nxt = started * cont + (1.0 - started) * (start[None, :] + e_t)
        step_real = ops.logical_and(m_t > 0, started > 0)  # a real step after a real step
        carry = (
            m_t * nxt + (1.0 - m_t) * delta,
            ops.where(step_real, best_prev, identity),
            ops.maximum(started, m_t),
        )
        return carry, carry

    (delta, _, started), (_, backpointers, _) = ops.scan(
        forward, (zeros, identity, started), _time_major(potentials, m)
    )
    delta = delta + end[None, :]
    best_score = ops.max(delta, axis=1) * started[:, 0]
    last_tag = ops.cast(ops.argmax(delta, axis=1), "int32")

    def backward(tag: Any, bp_t: Any) -> Any:
        prev = ops.take_along_axis(bp_t, ops.expand_dims(tag, -1), axis=1)[:, 0]
        return prev, tag

    # backpointers[t] maps the tag at step t to the tag at the previous real step; the scan
    # emits, for each t, the tag at step t (masked steps copy their next real step's tag).
    _, tags = ops.scan(backward, last_tag, backpointers, reverse=True)
    tags = ops.transpose(tags, (1, 0)) * ops.cast(m, "int32")
    return tags, best_score


@keras.saving.register_keras_serializable(package="rnnbook")
class CRF(keras.layers.Layer):
    """Linear-chain CRF on top of emission potentials `[B, T, num_tags]`.

    The layer is the identity in the forward pass (it returns the potentials and keeps the
    mask); it owns the transition, start and end scores and computes the negative
    log-likelihood (`nll`) for training and the Viterbi path (`viterbi_decode`) for prediction.
    `rnnbook.models.CRFTagger` wires these into `fit` (as the loss) and `crf_decode`.

    The layer computes in float32 whatever the global dtype policy (a `mixed_float16` policy
    would otherwise run the forward algorithm in float16).

    Args:
        num_tags: number of tags `K`.
    """

    def __init__(self, num_tags: int, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_tags = positive_int("num_tags", num_tags)
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
        return ops.cast(potentials, "float32")

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
