"""Checks for the exercises of notebook 02 (character-level language model).

Each ``check_*`` returns what the following cells use: the learner's answer when it passes,
otherwise (after one printed line) the library's reference, via :func:`use_if_solved`; under
``RNNBOOK_STRICT_CHECKS=1`` a failure raises :class:`ExerciseCheckFailed` instead. Usage in the
notebook: ``top_p_filter = nb02.check_top_p_filter(top_p_filter)``.

The reference answers come from the library: :mod:`rnnbook.metrics` (perplexity, bits per
character), :mod:`rnnbook.ngram` (add-k probability) and :mod:`rnnbook.decoding` (the
log-softmax that ``sample_next`` uses, and the nucleus filter).
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
    exercise_check,
    expect_close,
    learner_array,
    passed,
    run_learner,
    use_if_solved,
)
from rnnbook.decoding import log_softmax, top_p_filter
from rnnbook.metrics import bits_per_char, perplexity
from rnnbook.ngram import add_k_probability

__all__ = [
    "check_add_k_probability",
    "check_budget_model",
    "check_perplexity_and_bpc",
    "check_temperature_probs",
    "check_top_p_filter",
]


def _reference_perplexity_and_bpc(loss_nats: float) -> tuple[float, float]:
    return float(perplexity(loss_nats)), float(bits_per_char(loss_nats))


def _reference_add_k(text: str, context: str, char: str, vocab_size: int, k: float) -> float:
    return add_k_probability(text, context, char, vocab_size=vocab_size, k=k)


def _reference_temperature_probs(logits: Any, temperature: float) -> np.ndarray:
    return np.exp(log_softmax(np.asarray(logits, np.float64) / temperature))


@exercise_check("_reference_perplexity_and_bpc", what="perplexity and bits per character")
def check_perplexity_and_bpc(fn: Callable[[float], Any]) -> Any:
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


@exercise_check("_reference_add_k", what="add-k probability")
def check_add_k_probability(fn: Callable[..., Any]) -> Any:
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

    check_cases("add_k_probability", fn, _reference_add_k, cases, rtol=1e-9)


@exercise_check("_reference_temperature_probs", what="softmax with temperature")
def check_temperature_probs(fn: Callable[[np.ndarray, float], Any]) -> Any:
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

    reference = _reference_temperature_probs
    for case in cases:
        label = f"{name}, case {case.name!r}"
        arr = learner_array(label, fn, *case.args, case=case.name)
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


@exercise_check("top_p_filter", what="nucleus filter")
def check_top_p_filter(fn: Callable[[np.ndarray, float], Any]) -> Any:
    """``fn(logits, p)``: logits with every token outside the nucleus set to ``-inf``."""
    name = "top_p_filter"
    logits = np.log(np.array([0.5, 0.05, 0.3, 0.15]))
    cases = [
        Case("p = 0.5: the top token alone reaches it", (logits, 0.5)),
        Case("p = 0.6: needs the top two (0.5 + 0.3)", (logits, 0.6)),
        Case("p = 0.9: three tokens (0.5 + 0.3 + 0.15 = 0.95)", (logits, 0.9)),
        Case("p = 1.0: every token", (logits, 1.0)),
        Case("p = 0.1, smaller than the top token: keep the top token", (logits, 0.1)),
        Case("unnormalised logits (softmax first)", (np.array([2.0, 0.0, 1.0, -1.0]) + 7, 0.8)),
        Case("a batch [2, 4]", (np.stack([logits, logits[::-1]]), 0.7)),
    ]
    hints = {
        "too_many": "keep a token only while the probability of the tokens ranked above it is "
                    "still below p (the last token kept is the one that reaches p)",
        "too_few": "the token that makes the total reach p belongs to the nucleus",
        "unnormalised": "turn the logits into probabilities with a softmax before adding them up",
    }
    for case in cases:
        label = f"{name}, case {case.name!r}"
        arr = learner_array(label, fn, *case.args, case=case.name)
        expected = top_p_filter(*case.args)
        if arr.shape != expected.shape:
            raise ExerciseCheckFailed(f"{label}: expected shape {expected.shape}, got {arr.shape}")
        kept, want = np.isfinite(arr), np.isfinite(expected)
        if not np.array_equal(kept, want):
            extra, missing = int((kept & ~want).sum()), int((want & ~kept).sum())
            hint = hints["too_many"] if extra else hints["too_few"]
            if case.name.startswith("unnormalised"):
                hint = hints["unnormalised"]
            raise ExerciseCheckFailed(
                f"{label}: kept {int(kept.sum())} tokens, expected {int(want.sum())} "
                f"({extra} too many, {missing} missing). Hint: {hint}.")
        if arr[kept].size and not np.allclose(arr[kept], expected[want], rtol=1e-6):
            raise ExerciseCheckFailed(f"{label}: the kept tokens must keep their logits "
                                      "unchanged; only the others become -inf")
        if np.isnan(arr).any():
            raise ExerciseCheckFailed(f"{label}: NaN in the result; use -np.inf for removed "
                                      "tokens")
    passed(name, f"{len(cases)} cases")


def check_budget_model(train_fn: Callable[[], Any], val_ids: Any, *, target: float,
                       max_params: int, max_epochs: int, batch_size: int = 32,
                       seq_len: int = 100) -> float | None:
    """Run ``train_fn() -> (model, epochs_trained)`` and check it against the budget.

    The model is scored like every model of the notebook (per-token loss with the state carried,
    :func:`rnnbook.models.stream_token_losses`); it passes with at most ``max_params``
    parameters, ``max_epochs`` epochs and ``target`` nats/char. Returns the loss, or ``None``
    when ``train_fn`` is not written yet (lenient mode; strict mode raises).
    """
    from rnnbook.models import count_parameters, stream_token_losses

    name = "budget model"
    result: dict[str, float] = {}

    def verify(fn: Callable[[], Any]) -> None:
        got = run_learner(fn, case="train within the budget")
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise ExerciseCheckFailed(f"{name}: return a pair (model, epochs_trained), got "
                                      f"{type(got).__name__}")
        model, epochs_run = got
        params = count_parameters(model)  # the carried state is not a parameter
        if params > max_params:
            raise ExerciseCheckFailed(f"{name}: {params:,} parameters, the budget is "
                                      f"{max_params:,}; use fewer units or layers")
        if int(epochs_run) > max_epochs:
            raise ExerciseCheckFailed(f"{name}: trained {epochs_run} epochs, the budget is "
                                      f"{max_epochs}")
        loss = float(np.mean(stream_token_losses(model, val_ids, batch_size=batch_size,
                                                 seq_len=seq_len)))
        result["loss"] = loss
        if not np.isfinite(loss) or loss > target:
            raise ExerciseCheckFailed(
                f"{name}: {loss:.3f} nats/char on validation, the target is {target:.3f}. Hint: "
                "which rows of the comparison table bought the most at this size?")
        passed(name, f"{loss:.3f} <= {target:.3f} nats/char with {params:,} parameters in "
                     f"{epochs_run} epochs")

    use_if_solved(verify, train_fn, None, what="nothing (this exercise has no stand-in)")
    return result.get("loss")
