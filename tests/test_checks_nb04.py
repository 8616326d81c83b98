"""Tests for rnnbook.checks.nb04: each check passes a correct answer, and fails the stub and a
plausible mistake with a message that says what is wrong."""

import numpy as np
import pytest
from conftest import assert_passes_and_refuses_stub, assert_stub_falls_back_to_a_passing_reference
from scipy.special import logsumexp

from rnnbook.checks import ExerciseCheckFailed, nb04
from rnnbook.tagging import iob2_spans


# --------------------------------------------------------------------------- spans
def _lenient(tags):
    """conlleval-style: an I-X after O starts an entity (wrong for strict IOB2)."""
    spans, kind, start = [], None, 0
    for i, tag in enumerate([*tags, "O"]):
        if kind and tag != f"I-{kind}":
            spans.append((kind, start, i))
            kind = None
        if tag.startswith("B-") or (tag.startswith("I-") and kind is None):
            kind, start = tag[2:], i
    return spans


def test_entity_spans_lenient_i_tags_fail_with_a_hint():
    with pytest.raises(ExerciseCheckFailed, match="I- without B-.*belongs to no entity"):
        nb04.check_entity_spans(_lenient)


def test_entity_spans_inclusive_ends_are_named():
    def inclusive(tags):
        return [(t, s, e - 1) for t, s, e in iob2_spans(tags)]

    with pytest.raises(ExerciseCheckFailed, match="ends look inclusive"):
        nb04.check_entity_spans(inclusive)


def test_entity_spans_forgetting_the_last_entity_fails():
    def no_flush(tags):
        return [s for s in iob2_spans(tags) if s[2] < len(tags)]

    with pytest.raises(ExerciseCheckFailed, match="still open when the sentence ends"):
        nb04.check_entity_spans(no_flush)


# --------------------------------------------------------------------------- P / R / F1
def entity_prf(true_tags, pred_tags):
    gold = {(i, *s) for i, t in enumerate(true_tags) for s in iob2_spans(t)}
    pred = {(i, *s) for i, t in enumerate(pred_tags) for s in iob2_spans(t)}
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def test_entity_prf_without_sentence_ids_fails_with_the_reason():
    def pooled(true_tags, pred_tags):
        gold = {s for t in true_tags for s in iob2_spans(t)}
        pred = {s for t in pred_tags for s in iob2_spans(t)}
        tp = len(gold & pred)
        p, r = tp / max(len(pred), 1), tp / max(len(gold), 1)
        return p, r, 2 * p * r / (p + r) if p + r else 0.0

    with pytest.raises(ExerciseCheckFailed, match="keep the sentence number"):
        nb04.check_entity_prf(pooled)


def test_entity_prf_token_accuracy_is_not_f1():
    def token_level(true_tags, pred_tags):
        pairs = [(t, p) for ts, ps in zip(true_tags, pred_tags, strict=True)
                 for t, p in zip(ts, ps, strict=True)]
        acc = float(np.mean([t == p for t, p in pairs]))
        return acc, acc, acc

    with pytest.raises(ExerciseCheckFailed, match="case 'boundary error'.*precision expected"):
        nb04.check_entity_prf(token_level)


# --------------------------------------------------------------------------- log Z
def crf_log_z(e, trans, start, end):
    alpha = start + e[0]
    for t in range(1, len(e)):
        alpha = logsumexp(alpha[:, None] + trans, axis=0) + e[t]
    return float(logsumexp(alpha + end))


def test_crf_log_z_naive_exp_overflows_with_a_hint():
    def naive(e, trans, start, end):
        alpha = np.exp(start + e[0])
        for t in range(1, len(e)):
            alpha = (alpha[:, None] * np.exp(trans)).sum(axis=0) * np.exp(e[t])
        with np.errstate(over="ignore"):
            return float(np.log((alpha * np.exp(end)).sum()))

    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(ExerciseCheckFailed, match="Work in log space"):
        nb04.check_crf_log_z(naive)


def test_crf_log_z_without_start_and_end_is_named():
    def no_ends(e, trans, start, end):
        return crf_log_z(e, trans, np.zeros_like(start), np.zeros_like(end))

    with pytest.raises(ExerciseCheckFailed, match="left out the start and end"):
        nb04.check_crf_log_z(no_ends)


def test_crf_log_z_transposed_transitions_fail():
    def transposed(e, trans, start, end):
        return crf_log_z(e, trans.T, start, end)

    with pytest.raises(ExerciseCheckFailed, match="values differ"):
        nb04.check_crf_log_z(transposed)


@pytest.mark.parametrize(("check", "answer", "name"), [
    (nb04.check_entity_spans, iob2_spans, "entity_spans"),
    (nb04.check_entity_prf, entity_prf, "entity_prf"),
    (nb04.check_crf_log_z, crf_log_z, "crf_log_z"),
])
def test_correct_answers_pass_and_stubs_fail(check, answer, name, capsys):
    assert_passes_and_refuses_stub(check, answer, f"✓ {name}: correct", capsys)


@pytest.mark.parametrize("name", ["entity_spans", "entity_prf", "crf_log_z"])
def test_unsolved_exercise_falls_back_to_a_reference_that_passes(name, monkeypatch, capsys):
    assert_stub_falls_back_to_a_passing_reference(getattr(nb04, f"check_{name}"), monkeypatch,
                                                  capsys)
