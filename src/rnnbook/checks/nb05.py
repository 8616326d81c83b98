"""Checks for notebook 05 (translation): the teacher-forcing shift, an additive attention score,
one beam-search step and the GNMT length normalisation.

Reference answers come from the library or Keras, not from a copy of the solution: the shift from
``rnnbook.translation.encode_pairs``, the attention from ``keras.layers.AdditiveAttention``, the
beam step from an exhaustive ranking of every candidate and the normalisation from
``rnnbook.decoding.length_penalty``.

Each public ``check_*`` returns what the cells below the exercise use: the learner's function when
it passes, else the reference (one line says so), e.g.
``beam_step = nb05.check_beam_step(beam_step)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnbook.checks._framework import (
    ExerciseCheckFailed,
    compare_arrays,
    exercise_check,
    expect_shape,
    passed,
    run_learner,
    to_numpy,
)

__all__ = [
    "check_additive_scores",
    "check_beam_step",
    "check_normalised_score",
    "check_shift_targets",
]


def _fail(name: str, message: str) -> ExerciseCheckFailed:
    return ExerciseCheckFailed(f"{name}: {message}")


# --------------------------------------------------------------------------- teacher forcing
@exercise_check("_reference_shift_targets", what="reference shift_targets")
def check_shift_targets(shift_targets: Callable[[np.ndarray], Any]) -> Any:
    """``shift_targets(full)`` with ``full = [<s> y_1 .. y_n </s> <pad>..]`` ``[B, T+1]`` must
    return ``(decoder_input [B, T], decoder_target [B, T])`` as ``encode_pairs`` builds them:
    the input is ``<s> y_1 .. y_n`` (``</s>`` is never read), the target ``y_1 .. y_n </s>``."""
    from rnnbook.text import Vocabulary
    from rnnbook.translation import encode_pairs

    name = "shift_targets"
    targets = [["It's", "cold", "￭."], ["Go", "￭."], ["I", "am", "very", "very", "tired", "￭."]]
    vocab = Vocabulary.fit(targets)
    for tgt_len in (4, 8):  # one with the long target cut (it keeps its </s>), one padded
        full = vocab.encode_batch(targets, max_len=tgt_len + 1, add_start=True, add_end=True)
        _, want_in, want_out = encode_pairs(targets, targets, vocab, vocab, src_len=tgt_len,
                                            tgt_len=tgt_len)
        got = run_learner(shift_targets, full, case=f"T={tgt_len}")
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise _fail(name, "return a pair (decoder_input, decoder_target), got "
                              f"{type(got).__name__}")
        for label, g, w in (("decoder_input", got[0], want_in), ("decoder_target", got[1],
                                                                 want_out)):
            expect_shape(f"{name}: {label}", g, w.shape)
            if not np.array_equal(to_numpy(g), w):
                hint = (" (it must start with <s> = 2 in every row, and hold no </s> = 3: the "
                        "decoder never reads </s>, so put padding there)"
                        if label == "decoder_input"
                        else " (it must end each sentence with </s> = 3, never start with <s>)")
                raise _fail(name, f"{label} for T={tgt_len} is {to_numpy(g).tolist()}, expected "
                                  f"{w.tolist()}{hint}")
    passed(name, "matches rnnbook.translation.encode_pairs")


# --------------------------------------------------------------------------- additive attention
@exercise_check(
    "_reference_additive_scores", what="reference additive_scores (keras.layers.AdditiveAttention)"
)
def check_additive_scores(additive_scores: Callable[..., Any]) -> Any:
    """``additive_scores(query [B, U], keys [B, S, U], W_q [U, A], W_k [U, A], v [A])`` must give
    the Bahdanau scores ``e[b, j] = v · tanh(W_q q_b + W_k k_bj)``, ``[B, S]``, as Keras'
    ``AdditiveAttention`` computes them on the projected query and keys."""
    import keras

    name = "additive_scores"
    rng = np.random.default_rng(5)
    b, s, u, a = 2, 4, 3, 5
    query = rng.normal(size=(b, u)).astype("float32")
    keys = rng.normal(size=(b, s, u)).astype("float32")
    w_q = rng.normal(size=(u, a)).astype("float32")
    w_k = rng.normal(size=(u, a)).astype("float32")
    v = rng.normal(size=(a,)).astype("float32")
    got = run_learner(additive_scores, query, keys, w_q, w_k, v)
    expect_shape(name, got, (b, s))
    layer = keras.layers.AdditiveAttention(dtype="float32")  # float32 under any global policy
    q_proj, k_proj = (query @ w_q)[:, None, :], keys @ w_k
    layer.build([q_proj.shape, k_proj.shape])
    layer.scale.assign(v)
    scores = to_numpy(keras.ops.convert_to_numpy(layer._calculate_scores(q_proj, k_proj)))[:, 0]
    _, weights = layer([q_proj, k_proj], return_attention_scores=True)
    g = to_numpy(got).astype(np.float64)
    soft = np.exp(g - g.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    if not np.allclose(soft, keras.ops.convert_to_numpy(weights)[:, 0], atol=1e-4):
        raise _fail(name, "softmax of your scores differs from AdditiveAttention's weights; "
                          "project the query with W_q and the keys with W_k, add, tanh, then "
                          "take the dot product with v")
    compare_arrays(name, got, scores, rtol=1e-4, atol=1e-5)
    passed(name, "matches keras.layers.AdditiveAttention")


# --------------------------------------------------------------------------- beam search
def _beam_cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(11)
    logp = np.log(rng.dirichlet(np.ones(6), size=3))
    return [
        ("3 beams, vocabulary 6, keep 3", np.array([-0.5, -1.2, -2.0]), logp, 3),
        ("keep 4 from 3 beams (one beam can fill several slots)", np.array([-0.1, -3.0, -3.5]),
         logp, 4),
        ("first step: only beam 0 is live", np.array([0.0, -np.inf, -np.inf]), logp, 3),
    ]


@exercise_check("_reference_beam_step", what="reference beam_step")
def check_beam_step(beam_step: Callable[..., Any]) -> Any:
    """``beam_step(beam_logp [K], step_logp [K, V], width)`` must return ``(parents, tokens,
    totals)``, each ``[width]``: the ``width`` best expansions ``beam_logp[k] + step_logp[k, t]``
    over every beam ``k`` and token ``t``, best first."""
    name = "beam_step"
    for case, beam_logp, step_logp, width in _beam_cases():
        got = run_learner(beam_step, beam_logp, step_logp, width, case=case)
        if not isinstance(got, tuple | list) or len(got) != 3:
            raise _fail(name, f"case {case!r}: return (parents, tokens, totals), got "
                              f"{type(got).__name__}")
        parents, tokens, totals = _reference_beam_step(beam_logp, step_logp, width)
        compare_arrays(f"{name}, case {case!r}, totals", got[2], totals)
        compare_arrays(f"{name}, case {case!r}, parents", got[0], parents, rtol=0, atol=0)
        compare_arrays(f"{name}, case {case!r}, tokens", got[1], tokens, rtol=0, atol=0)
    passed(name, "the width best expansions, best first")


@exercise_check(
    "_reference_normalised_score",
    what="reference normalised_score (rnnbook.decoding.length_penalty)",
)
def check_normalised_score(normalised_score: Callable[..., Any]) -> Any:
    """``normalised_score(log_prob, length, alpha)`` must be the GNMT score
    ``log_prob / ((5 + length) / 6) ** alpha``."""
    from rnnbook.decoding import length_penalty

    name = "normalised_score"
    for log_prob, length, alpha in ((-3.0, 4, 0.6), (-3.0, 4, 0.0), (-7.5, 12, 1.0),
                                    (-0.2, 1, 0.6)):
        got = run_learner(normalised_score, log_prob, length, alpha,
                          case=f"log_prob={log_prob}, length={length}, alpha={alpha}")
        want = log_prob / length_penalty(length, alpha)
        compare_arrays(f"{name}(log_prob={log_prob}, length={length}, alpha={alpha})",
                       np.float64(got), np.float64(want))
    passed(name, "matches rnnbook.decoding.length_penalty")


# --------------------------------------------------------------------------- references
def _reference_shift_targets(full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`rnnbook.translation.encode_pairs` does to the full target ids."""
    from rnnbook.text import Vocabulary

    full = np.asarray(full)
    return (np.where(full[:, :-1] == Vocabulary.END_ID, Vocabulary.PAD_ID, full[:, :-1]),
            full[:, 1:])


def _reference_additive_scores(query: Any, keys: Any, W_q: Any, W_k: Any, v: Any) -> np.ndarray:
    """Bahdanau scores by ``keras.layers.AdditiveAttention`` on the projected query and keys."""
    import keras

    q_proj = (np.asarray(query, np.float32) @ np.asarray(W_q, np.float32))[:, None, :]
    k_proj = np.asarray(keys, np.float32) @ np.asarray(W_k, np.float32)
    layer = keras.layers.AdditiveAttention(dtype="float32")  # float32 under any global policy
    layer.build([q_proj.shape, k_proj.shape])
    layer.scale.assign(np.asarray(v, np.float32))
    return keras.ops.convert_to_numpy(layer._calculate_scores(q_proj, k_proj))[:, 0]


def _reference_beam_step(beam_logp: Any, step_logp: Any, width: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``width`` best ``beam_logp[k] + step_logp[k, t]``, best first, by a full ranking."""
    beam_logp, step_logp = np.asarray(beam_logp), np.asarray(step_logp)
    ranked = sorted(((beam_logp[k] + step_logp[k, t], k, t)
                     for k in range(step_logp.shape[0]) for t in range(step_logp.shape[1])),
                    key=lambda x: -x[0])[:width]
    return (np.array([k for _, k, _ in ranked]), np.array([t for _, _, t in ranked]),
            np.array([x for x, _, _ in ranked]))


def _reference_normalised_score(log_prob: float, length: int, alpha: float) -> float:
    from rnnbook.decoding import length_penalty

    return log_prob / length_penalty(length, alpha)
