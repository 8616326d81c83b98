"""Sampling, greedy decoding and beam search over a *step function*.

Every decoder here drives a model through one callable, so language models and encoder–decoders
share the code::

    step_fn(token_ids: np.ndarray[int32, (R,)], state) -> (scores [R, V], new_state)

``scores`` are logits or log-probabilities (a log-softmax is applied either way). ``state`` is
``None``, an array, or a (nested) list / tuple / dict of arrays whose leading dimension is the row
``R``; beam search reorders rows with ``take`` along axis 0 (NumPy leaves stay NumPy, backend
tensors stay on their device via ``keras.ops.take``). Anything a step needs per example (encoder
outputs, source masks) belongs in ``state`` so that it is reordered with the beams.

Beam search ranks partial hypotheses by their summed log-probability and ranks finished ones
(those that emitted ``end_id``, or reached ``max_len``) by the GNMT length-normalised score
``log P(Y) / lp(Y)``, ``lp(Y) = ((5 + |Y|) / 6) ** alpha`` where ``|Y|`` counts generated tokens
including the end token (Wu et al. 2016, eq. 14). ``alpha=0`` disables the normalisation. A
hypothesis that emits the end token leaves the beam, which then narrows: the search for an example
ends when ``beam_width`` hypotheses have finished or ``max_len`` tokens were generated, so a beam of
width 1 is exactly greedy decoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnbook.validation import positive_int as _positive_int

__all__ = [
    "StepFn",
    "Hypothesis",
    "sample_next",
    "greedy_decode",
    "beam_search",
    "generate_text",
    "length_penalty",
    "log_softmax",
    "take_state",
    "DEFAULT_BANNED_IDS",
]

StepFn = Callable[[np.ndarray, Any], tuple[Any, Any]]


@dataclass
class Hypothesis:
    """One decoded sequence: ``tokens`` (no start token, no end token), its summed ``log_prob``,
    the length-normalised ``score`` and whether it ended with the end token (``finished``)."""

    tokens: list[int]
    log_prob: float
    score: float
    finished: bool = field(default=False)


# --------------------------------------------------------------------------- argument checks
def _check_temperature(temperature: float) -> float:
    if not (isinstance(temperature, int | float | np.floating) and temperature > 0):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    return float(temperature)


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# --------------------------------------------------------------------------- array helpers
def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except (TypeError, RuntimeError, ValueError):  # e.g. a GPU tensor
        import keras

        return np.asarray(keras.ops.convert_to_numpy(x))


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Stable ``log softmax`` over the last axis (identity on rows that already are log-probs)."""
    scores = np.asarray(scores, np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def take_state(state: Any, index: np.ndarray) -> Any:
    """Select rows ``index`` (axis 0) from every array of a state pytree."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {k: take_state(v, index) for k, v in state.items()}
    if isinstance(state, tuple | list):
        return type(state)(take_state(v, index) for v in state)
    if isinstance(state, np.ndarray | np.generic | int | float):
        return np.take(np.asarray(state), index, axis=0)
    import keras

    return keras.ops.take(state, keras.ops.convert_to_tensor(index, "int32"), axis=0)


def _scores(step_fn: StepFn, tokens: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
    scores, new_state = step_fn(tokens.astype(np.int32), state)
    scores = _to_numpy(scores)
    if scores.ndim != 2 or scores.shape[0] != tokens.shape[0]:
        raise ValueError(f"step_fn must return scores of shape [{tokens.shape[0]}, vocab], "
                         f"got {scores.shape}")
    return scores, new_state


# --------------------------------------------------------------------------- sampling
def sample_next(
    logits: np.ndarray,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Sample token ids from ``softmax(logits / temperature)``, keeping only the ``top_k`` best.

    ``logits`` is ``[V]`` (returns a 0-d array) or ``[B, V]`` (returns ``[B]``). Small
    temperatures approach argmax; ``top_k=1`` is argmax.
    """
    temperature = _check_temperature(temperature)
    if top_k is not None:
        top_k = _positive_int("top_k", top_k)
    logits = np.asarray(_to_numpy(logits), np.float64)
    if logits.ndim not in (1, 2):
        raise ValueError(f"logits must have shape [V] or [B, V], got {logits.shape}")
    rows = np.atleast_2d(logits) / temperature
    if top_k is not None and top_k < rows.shape[-1]:
        kth = np.partition(rows, -top_k, axis=-1)[:, -top_k][:, None]
        rows = np.where(rows >= kth, rows, -np.inf)
    probs = np.exp(log_softmax(rows))
    gen = _rng(rng)
    cumulative = np.cumsum(probs, axis=-1)
    draws = gen.random((rows.shape[0], 1)) * cumulative[:, -1:]
    ids = np.minimum((cumulative <= draws).sum(axis=-1), rows.shape[-1] - 1)
    # guard: never return a token with zero probability (possible at a cumulative boundary)
    ids = np.where(probs[np.arange(len(ids)), ids] > 0, ids, probs.argmax(axis=-1))
    return ids.reshape(logits.shape[:-1]).astype(np.int64)


def generate_text(
    step_fn: StepFn,
    initial_state: Any,
    prime_ids: Sequence[int] | np.ndarray,
    n: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Feed ``prime_ids`` through ``step_fn``, then sample ``n`` new tokens.

    ``prime_ids`` is ``[P]`` (one text, returns ``[n]``) or ``[B, P]`` (returns ``[B, n]``);
    ``P >= 1``. The prime takes ``P`` steps and each sampled token but the last is fed back, so the
    whole call makes ``P + n - 1`` steps.
    """
    temperature = _check_temperature(temperature)
    if top_k is not None:
        _positive_int("top_k", top_k)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    prime = np.asarray(prime_ids, dtype=np.int64)
    single = prime.ndim == 1
    prime = np.atleast_2d(prime)
    if prime.ndim != 2 or prime.shape[1] == 0:
        raise ValueError(f"prime_ids must be a non-empty [P] or [B, P] array of ids, "
                         f"got shape {np.shape(prime_ids)}")
    gen = _rng(seed)
    out = np.zeros((prime.shape[0], n), np.int64)
    state = initial_state
    scores = None
    for t in range(prime.shape[1]):
        scores, state = _scores(step_fn, prime[:, t], state)
    for i in range(n):
        if i > 0:
            scores, state = _scores(step_fn, out[:, i - 1], state)
        out[:, i] = sample_next(scores, temperature=temperature, top_k=top_k, rng=gen)
    return out[0] if single else out


# --------------------------------------------------------------------------- greedy & beam
# <pad>, <unk> and <s> in rnnbook.text's fixed layout: never a useful output. Feeding <pad> (id 0)
# back into a decoder whose embedding masks id 0 freezes its state for good.
DEFAULT_BANNED_IDS: tuple[int, ...] = (0, 1, 2)


def _start(start_ids: Sequence[int] | np.ndarray | int) -> np.ndarray:
    ids = np.atleast_1d(np.asarray(start_ids, dtype=np.int64))
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"start_ids must be a non-empty 1-D array (one id per example), "
                         f"got shape {np.shape(start_ids)}")
    return ids


def _banned(banned_ids: Sequence[int] | None, end_id: int | None) -> np.ndarray:
    ids = np.asarray(() if banned_ids is None else list(banned_ids), dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"banned_ids must be a sequence of token ids, got {banned_ids!r}")
    if end_id is not None and end_id in ids:
        raise ValueError(f"banned_ids {banned_ids!r} contains end_id={end_id}: decoding could "
                         "never stop")
    return ids


def _ban(log_probs: np.ndarray, banned: np.ndarray) -> np.ndarray:
    if banned.size:
        if banned.max() >= log_probs.shape[-1] or banned.min() < 0:
            raise ValueError(f"banned_ids {banned.tolist()} out of range for a vocabulary of "
                             f"{log_probs.shape[-1]}")
        log_probs[..., banned] = -np.inf
    return log_probs


def greedy_decode(
    step_fn: StepFn,
    initial_state: Any,
    start_ids: Sequence[int] | np.ndarray,
    *,
    max_len: int,
    end_id: int | None = None,
    banned_ids: Sequence[int] | None = DEFAULT_BANNED_IDS,
) -> list[list[int]]:
    """Argmax decoding for a batch: one token list per example (end token not included).

    Each example stops at ``end_id`` or after ``max_len`` generated tokens; finished rows are
    dropped from later steps. ``banned_ids`` (default ``<pad>``, ``<unk>``, ``<s>``) are never
    emitted; pass ``()`` to allow every id.
    """
    max_len = _positive_int("max_len", max_len)
    banned = _banned(banned_ids, end_id)
    tokens = _start(start_ids)
    outputs: list[list[int]] = [[] for _ in tokens]
    rows = np.arange(len(tokens))  # example index of each live row
    state = initial_state
    for _ in range(max_len):
        scores, state = _scores(step_fn, tokens, state)
        scores = _ban(np.array(scores, dtype=np.float64), banned)
        best = scores.argmax(axis=-1)
        keep = np.ones(len(rows), bool) if end_id is None else best != end_id
        for example, token in zip(rows[keep], best[keep], strict=True):
            outputs[example].append(int(token))
        if not keep.any():
            break
        if not keep.all():
            live = np.flatnonzero(keep)
            rows, best, state = rows[live], best[live], take_state(state, live)
        tokens = best
    return outputs


def length_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha``."""
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(
    step_fn: StepFn,
    initial_state: Any,
    start_ids: Sequence[int] | np.ndarray,
    *,
    beam_width: int,
    max_len: int,
    end_id: int | None = None,
    alpha: float = 0.6,
    return_all: bool = False,
    banned_ids: Sequence[int] | None = DEFAULT_BANNED_IDS,
) -> list[Hypothesis] | list[list[Hypothesis]]:
    """Batched beam search (see the module docstring for scoring and stopping).

    Returns the best :class:`Hypothesis` per example, or with ``return_all`` every hypothesis
    that left the beam, best first. ``banned_ids`` (default ``<pad>``, ``<unk>``, ``<s>``) are
    never emitted; pass ``()`` to allow every id.

    Every step feeds ``step_fn`` the same number of rows, ``len(start_ids) * beam_width`` (example
    ``e``'s beams are rows ``e * beam_width ...``), so a compiled step function sees one shape;
    empty beam slots carry a log-probability of ``-inf`` and are never chosen. The top
    ``beam_width`` candidates of every example are picked at once with ``argpartition``.
    """
    beam_width = _positive_int("beam_width", beam_width)
    max_len = _positive_int("max_len", max_len)
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha!r}")
    banned = _banned(banned_ids, end_id)
    starts = _start(start_ids)
    n, k = len(starts), beam_width
    rows_of = np.repeat(np.arange(n), k)  # example -> its k rows
    state = take_state(initial_state, rows_of)
    feed = starts[rows_of]
    logp = np.full((n, k), -np.inf)
    logp[:, 0] = 0.0  # one live beam per example at the start
    history = np.zeros((n, k, 0), np.int64)
    finished: list[list[Hypothesis]] = [[] for _ in range(n)]
    n_finished = np.zeros(n, np.int64)
    arange_n = np.arange(n)[:, None]

    def close(example: int, tokens: list[int], total: float, done: bool) -> None:
        length = len(tokens) + (1 if done else 0)
        finished[example].append(Hypothesis(tokens, float(total),
                                            float(total / length_penalty(length, alpha)), done))
        n_finished[example] += 1

    for step in range(max_len):
        scores, state = _scores(step_fn, feed, state)
        vocab = scores.shape[-1]
        log_probs = _ban(log_softmax(scores), banned)
        total = (logp[:, :, None] + log_probs.reshape(n, k, vocab)).reshape(n, k * vocab)
        # the k best candidates of every example, best first (ties: lower flat index first)
        top = np.argpartition(-total, k - 1, axis=1)[:, :k] if k < total.shape[1] else \
            np.broadcast_to(np.arange(total.shape[1]), (n, total.shape[1]))
        top_scores = total[arange_n, top]
        order = np.lexsort((top, -top_scores), axis=1)
        top, top_scores = top[arange_n, order], top_scores[arange_n, order]
        parent, token = top // vocab, top % vocab
        width = (k - n_finished)[:, None]
        valid = (np.arange(top.shape[1])[None, :] < width) & np.isfinite(top_scores)
        ends = valid & (token == end_id) if end_id is not None else np.zeros_like(valid)
        last = step == max_len - 1
        live = valid & ~ends & (not last)
        for e, j in zip(*np.nonzero(ends | (valid & last & ~ends)), strict=True):
            done = bool(ends[e, j])
            tokens = history[e, parent[e, j]].tolist() + ([] if done else [int(token[e, j])])
            close(int(e), tokens, float(top_scores[e, j]), done)
        if not live.any():
            break
        # live candidates fill slots 0, 1, ... of their example; other slots are -inf
        slot = np.cumsum(live, axis=1) - 1
        new_parent = np.zeros((n, k), np.int64)
        new_token = np.zeros((n, k), np.int64)
        logp = np.full((n, k), -np.inf)
        ex, j = np.nonzero(live)
        new_parent[ex, slot[ex, j]] = parent[ex, j]
        new_token[ex, slot[ex, j]] = token[ex, j]
        logp[ex, slot[ex, j]] = top_scores[ex, j]
        history = np.concatenate([history[arange_n, new_parent], new_token[:, :, None]], axis=2)
        feed = np.where(np.isfinite(logp), new_token, starts[:, None]).reshape(-1)
        state = take_state(state, (np.arange(n)[:, None] * k + new_parent).reshape(-1))
    ranked = [sorted(h, key=lambda h: -h.score) for h in finished]
    return ranked if return_all else [h[0] for h in ranked]


def top_p_filter(logits: np.ndarray, p: float) -> np.ndarray:
    """Nucleus filter: keep the smallest set of most likely tokens whose probability reaches ``p``.

    Returns the logits (``[V]`` or ``[B, V]``, float64) with every other token set to ``-inf``;
    the most likely token is always kept. Holtzman et al. (2020), *The Curious Case of Neural
    Text Degeneration*.
    """
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    logits = np.asarray(_to_numpy(logits), np.float64)
    rows = np.atleast_2d(logits)
    probs = np.exp(log_softmax(rows))
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    before = np.cumsum(sorted_probs, axis=-1) - sorted_probs  # mass of the better tokens
    keep_sorted = before < p
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, rows, -np.inf).reshape(logits.shape)
