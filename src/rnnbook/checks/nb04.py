"""Checks for notebook 04 (named-entity tagging): IOB2 tags to entity spans, entity precision /
recall / F1, and the CRF forward algorithm.

Every reference answer comes from a library, never from a copy of the solution: spans from
``seqeval``'s strict IOB2 reader, scores from ``seqeval`` (``rnnbook.metrics.entity_scores``,
``mode='strict'``) and ``log Z`` from ``rnnbook.layers.crf_log_partition`` (itself tested against
brute-force enumeration).

Each public ``check_*`` returns what the cells below the exercise use: the learner's function when
it passes, else the library's reference (one line says so), e.g.
``entity_spans = nb04.check_entity_spans(entity_spans)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnbook.checks._framework import (
    ExerciseCheckFailed,
    exercise_check,
    expect_close,
    passed,
    run_learner,
    to_numpy,
)

__all__ = ["check_crf_log_z", "check_entity_prf", "check_entity_spans"]


def _fail(name: str, message: str) -> ExerciseCheckFailed:
    return ExerciseCheckFailed(f"{name}: {message}")


# --------------------------------------------------------------------------- spans
_SPAN_CASES: dict[str, tuple[list[str], str]] = {
    "two entities": (["B-PER", "I-PER", "O", "B-LOC", "O"], ""),
    "an entity at the very end": (["O", "O", "B-MISC", "I-MISC"], "close an entity that is still "
                                  "open when the sentence ends"),
    "one-token entity at the start": (["B-ORG", "O"], ""),
    "two adjacent entities of one type": (["B-LOC", "B-LOC", "I-LOC"], "a B- tag always starts a "
                                          "new entity, even right after one of the same type"),
    "I- without B-": (["O", "I-PER", "I-PER", "O"], "in strict IOB2 an I-X that does not continue "
                      "an X entity belongs to no entity"),
    "type change inside": (["B-PER", "I-ORG", "I-ORG"], "I-ORG cannot continue a PER entity: "
                           "the PER entity ends, and the I-ORG tags start nothing"),
    "all O": (["O", "O", "O"], ""),
    "empty sentence": ([], ""),
}


def _seqeval_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """Spans of one sentence by seqeval's strict IOB2 reader (end exclusive)."""
    from seqeval.scheme import IOB2, Entities

    if not tags:
        return []
    entities = Entities([list(tags)], IOB2, suffix=False).entities[0]
    return sorted(((e.tag, e.start, e.end) for e in entities), key=lambda s: (s[1], s[2]))


@exercise_check("_reference_entity_spans", what="reference entity_spans (rnnbook.tagging)")
def check_entity_spans(entity_spans: Callable[[list[str]], Any]) -> Any:
    """``entity_spans(tags)`` returns the ``(type, start, end)`` spans (end exclusive) of one
    sentence's IOB2 tags, in order, as seqeval's strict mode reads them."""
    name = "entity_spans"
    for case, (tags, hint) in _SPAN_CASES.items():
        got = run_learner(entity_spans, list(tags), case=case)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        try:
            got_list = [tuple(s) for s in got]
        except TypeError:
            raise _fail(name, f"case {case!r}: return a list of (type, start, end) tuples, got "
                              f"{type(got).__name__}") from None
        expected = _seqeval_spans(tags)
        if sorted(got_list, key=lambda s: (s[1], s[2])) != expected:
            ends_inclusive = [(t, s, e - 1) for t, s, e in expected]
            extra = ""
            if sorted(got_list) == sorted(ends_inclusive) and expected:
                extra = " Your ends look inclusive; use Python's convention, end = last + 1."
            elif hint:
                extra = f" Hint: {hint}."
            raise _fail(name, f"case {case!r}, tags {tags}: expected {expected}, got "
                              f"{got_list}.{extra}")
    passed(name, "matches seqeval's strict IOB2 reading on every edge case")


# --------------------------------------------------------------------------- P / R / F1
_PRF_CASES: dict[str, tuple[list[list[str]], list[list[str]]]] = {
    "perfect": ([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]),
    "boundary error": ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]]),
    "type error": ([["B-ORG", "O"]], [["B-LOC", "O"]]),
    "nothing predicted": ([["B-ORG", "O"], ["O", "B-PER"]], [["O", "O"], ["O", "O"]]),
    "same span in two sentences": ([["B-LOC", "O"], ["O", "O"]], [["B-LOC", "O"], ["B-LOC", "O"]]),
    "I- without B- in the prediction": ([["B-PER", "I-PER"]], [["I-PER", "I-PER"]]),
    "mixed": ([["B-PER", "I-PER", "O", "B-LOC", "O", "B-MISC"], ["B-ORG", "I-ORG", "I-ORG"]],
              [["B-PER", "I-PER", "O", "B-ORG", "O", "O"], ["B-ORG", "I-ORG", "O"]]),
}


def _prf_reference(true_tags: list[list[str]], pred_tags: list[list[str]]
                   ) -> tuple[float, float, float]:
    from rnnbook.metrics import entity_scores

    overall = entity_scores(true_tags, pred_tags, mode="strict")["overall"]
    return overall["precision"], overall["recall"], overall["f1"]


@exercise_check("_prf_reference", what="reference entity_prf (seqeval, strict)")
def check_entity_prf(entity_prf: Callable[[list[list[str]], list[list[str]]], Any]) -> Any:
    """``entity_prf(true_tags, pred_tags)`` returns micro-averaged entity ``(precision, recall,
    f1)`` over all sentences, strict IOB2, 0.0 where a denominator is 0 (seqeval's
    ``zero_division=0``)."""
    name = "entity_prf"
    for case, (true, pred) in _PRF_CASES.items():
        got = run_learner(entity_prf, true, pred, case=case)
        expected = _prf_reference(true, pred)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        try:
            values = [float(to_numpy(v)) for v in got]
        except (TypeError, ValueError):
            raise _fail(name, f"case {case!r}: return three numbers (precision, recall, f1), "
                              f"got {got!r}") from None
        if len(values) != 3:
            raise _fail(name, f"case {case!r}: return three numbers (precision, recall, f1), "
                              f"got {len(values)}")
        if case == "same span in two sentences" and not np.allclose(values, expected):
            raise _fail(name, f"case {case!r}: expected {tuple(round(v, 4) for v in expected)}, "
                              f"got {tuple(round(v, 4) for v in values)}. The LOC at position 0 "
                              "of sentence 1 and of sentence 2 are two different entities: "
                              "keep the sentence number in each span")
        if not np.allclose(values, expected, atol=1e-9):
            labels = ("precision", "recall", "f1")
            wrong = [f"{lab} expected {e:.4f}, got {g:.4f}" for lab, e, g in
                     zip(labels, expected, values, strict=True) if not np.isclose(e, g)]
            raise _fail(name, f"case {case!r} (true {true}, predicted {pred}): "
                              + "; ".join(wrong))
    passed(name, "matches seqeval (mode='strict') on every case")


# --------------------------------------------------------------------------- CRF log Z
def _brute_log_z(e: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray) -> float:
    t, k = e.shape
    scores = []
    for path in itertools.product(range(k), repeat=t):
        s = start[path[0]] + e[0, path[0]] + end[path[-1]]
        s += sum(trans[path[i - 1], path[i]] + e[i, path[i]] for i in range(1, t))
        scores.append(s)
    scores_arr = np.array(scores)
    top = scores_arr.max()
    return float(top + np.log(np.exp(scores_arr - top).sum()))


def _log_z_reference(e: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray
                     ) -> float:
    from rnnbook.layers import crf_log_partition

    return float(to_numpy(crf_log_partition(e[None].astype("float32"), trans, start, end))[0])


@exercise_check("_log_z_reference", what="reference crf_log_z (rnnbook.layers.crf_log_partition)")
def check_crf_log_z(crf_log_z: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Any]
                    ) -> Any:
    """``crf_log_z(emissions [T, K], transitions [K, K], start [K], end [K])`` returns the log of
    the sum, over all K**T tag paths, of exp(path score): the CRF's log partition function."""
    name = "crf_log_z"
    rng = np.random.default_rng(4)
    cases = {}
    for t, k in ((1, 3), (2, 2), (4, 3)):
        cases[f"T={t}, K={k}"] = (rng.normal(size=(t, k)), rng.normal(size=(k, k)),
                                  rng.normal(size=k), rng.normal(size=k))
    cases["T=20, K=9 (too many paths to enumerate)"] = (
        rng.normal(size=(20, 9)), rng.normal(size=(9, 9)), rng.normal(size=9), rng.normal(size=9))
    big = rng.normal(size=(5, 3)) * 400.0
    cases["large scores (exp overflows)"] = (big, rng.normal(size=(3, 3)), np.zeros(3),
                                             np.zeros(3))
    for case, (e, trans, start, end) in cases.items():
        got = run_learner(crf_log_z, e, trans, start, end, case=case)
        if got is None:
            raise _fail(name, "got None; did your function forget to `return` its result?")
        value = to_numpy(got)
        if value.size != 1:
            raise _fail(name, f"case {case!r}: return one number, got an array of shape "
                              f"{value.shape}")
        expected = (_brute_log_z(e, trans, start, end) if e.shape[0] <= 4
                    else _log_z_reference(e, trans, start, end))
        v = float(value.reshape(()))
        if not np.isfinite(v):
            raise _fail(name, f"case {case!r}: got {v}; exp() overflowed. Work in log space: "
                              "logsumexp(a) = max(a) + log(sum(exp(a - max(a))))")
        if e.shape[0] == 1 and np.isclose(v, float(np.log(np.exp(e[0]).sum()))):
            raise _fail(name, f"case {case!r}: you left out the start and end scores")
        rtol = 1e-9 if e.shape[0] <= 4 else 1e-5
        expect_close(f"{name}, case {case!r}", v, expected, rtol=rtol, atol=1e-6)
    passed(name, "matches brute-force enumeration and rnnbook.layers.crf_log_partition")


# -------------------------------------------------------------------- references
def _reference_entity_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    from rnnbook.tagging import iob2_spans

    return iob2_spans(tags)
