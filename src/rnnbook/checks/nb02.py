"""Checks for the exercises of notebook 02 (character-level language model).

The reference answers come from the library: :mod:`rnnbook.metrics` (perplexity, bits per
character), :mod:`rnnbook.ngram` (add-k probability) and :mod:`rnnbook.decoding` (the
log-softmax that ``sample_next`` uses).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnbook.checks._framework import (
    Case,
    ExerciseCheckFailed,
    check_cases,
    expect_close,
    passed,
    run_learner,
    to_numpy,
)
from rnnbook.decoding import log_softmax
from rnnbook.metrics import bits_per_char, perplexity
from rnnbook.ngram import add_k_probability

__all__ = ["check_add_k_probability", "check_perplexity_and_bpc", "check_temperature_probs"]


def check_perplexity_and_bpc(fn: Callable[[float], Any]) -> None:
    """``fn(loss_nats) -> (perplexity, bits_per_char)`` for a mean cross-entropy in nats."""
    name = "perplexity_and_bpc"
    cases = [
        ("uniform over 67 characters: loss = ln 67", math.log(67)),
        ("loss 1.5 nats/char", 1.5),
        ("a perfect model: loss 0", 0.0),
        ("loss ln 2 (one bit per character)", math.log(2.0)),
    ]
    hints = {
        "perplexity": "perplexity = exp(loss): the loss is in nats (natural logarithm)",
        "bits_per_char": "bits = nats / ln 2 (a change of logarithm base)",
    }
    for case, loss in cases:
        got = run_learner(fn, loss, case=case)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise ExerciseCheckFailed(
                f"{name}, case {case!r}: return a pair (perplexity, bits_per_char), got "
                f"{type(got).__name__}")
        for value, (part, expected) in zip(
                got, (("perplexity", perplexity(loss)), ("bits_per_char", bits_per_char(loss))),
                strict=True):
            try:
                expect_close(f"{name}, case {case!r}, {part}", value, expected, rtol=1e-6)
            except ExerciseCheckFailed as err:
                raise ExerciseCheckFailed(f"{err}. Hint: {hints[part]}.") from None
    passed(name, f"{len(cases)} cases")


def check_add_k_probability(fn: Callable[..., Any]) -> None:
    """``fn(text, context, char, vocab_size, k) -> P(char | context)`` by add-k smoothing."""
    text = "to be, or not to be: that is the question"
    cases = [
        Case("'b' after 'to ', k=1", (text, "to ", "b", 30, 1.0)),
        Case("'t' after 'to ', k=1 (never seen)", (text, "to ", "t", 30, 1.0)),
        Case("'e' after 'b', k=0.5", (text, "b", "e", 30, 0.5)),
        Case("unseen context 'xyz', k=1", (text, "xyz", "a", 30, 1.0)),
        Case("context 'on' at the very end of the text, k=0.1", (text, "on", "x", 30, 0.1)),
        Case("empty context (unigram), k=1", (text, "", "t", 30, 1.0)),
        Case("k=0: the maximum-likelihood estimate", (text, "t", "h", 30, 0.0)),
    ]

    def reference(seq: str, context: str, char: str, vocab_size: int, k: float) -> float:
        return add_k_probability(seq, context, char, vocab_size=vocab_size, k=k)

    check_cases("add_k_probability", fn, reference, cases, rtol=1e-9)


def check_temperature_probs(fn: Callable[[np.ndarray, float], Any]) -> None:
    """``fn(logits, temperature) -> softmax(logits / temperature)`` over the last axis."""
    name = "temperature_probs"
    logits = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    batch = np.array([[0.0, 1.0, 2.0], [3.0, 3.0, -3.0]])
    cases = [
        Case("temperature 1 (plain softmax)", (logits, 1.0)),
        Case("temperature 0.5 (sharper)", (logits, 0.5)),
        Case("temperature 2 (flatter)", (logits, 2.0)),
        Case("a batch [2, 3] at temperature 0.7", (batch, 0.7)),
        Case("large logits [1000, 999, 990] at temperature 0.1", (np.array([1000.0, 999.0, 990.0]),
                                                                   0.1)),
    ]

    def reference(x: np.ndarray, temperature: float) -> np.ndarray:
        return np.exp(log_softmax(np.asarray(x, np.float64) / temperature))

    for case in cases:
        got = run_learner(fn, *case.args, case=case.name)
        label = f"{name}, case {case.name!r}"
        if got is None:
            raise ExerciseCheckFailed(f"{label}: got None; did your function forget to `return`?")
        arr = np.asarray(to_numpy(got), np.float64)
        if arr.shape == case.args[0].shape and not np.isfinite(arr).all():
            raise ExerciseCheckFailed(
                f"{label}: your probabilities contain NaN or inf. exp() of a large logit "
                "overflows: subtract the maximum (over the last axis) before exponentiating; "
                "softmax does not change when a constant is subtracted.")
        if arr.shape == case.args[0].shape and not np.allclose(arr.sum(axis=-1), 1.0):
            raise ExerciseCheckFailed(
                f"{label}: each row of probabilities must sum to 1, got sums "
                f"{np.round(arr.sum(axis=-1), 6).tolist()}; normalise over the last axis "
                "(keepdims=True).")
        expect_close(label, arr, reference(*case.args), rtol=1e-6, atol=1e-12)
    passed(name, f"{len(cases)} cases")
