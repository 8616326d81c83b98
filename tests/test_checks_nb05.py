"""Tests for rnnbook.checks.nb05: each check passes a correct answer, and fails the stub and a
plausible mistake with a message that says what is wrong."""

import numpy as np
import pytest
from conftest import assert_passes_and_refuses_stub, assert_stub_falls_back_to_a_passing_reference

from rnnbook.checks import ExerciseCheckFailed, nb05


def shift_targets(full):
    return np.where(full[:, :-1] == 3, 0, full[:, :-1]), full[:, 1:]


def additive_scores(query, keys, w_q, w_k, v):
    return np.tanh((query @ w_q)[:, None, :] + keys @ w_k) @ v


def beam_step(beam_logp, step_logp, width):
    total = (beam_logp[:, None] + step_logp).ravel()
    order = np.argsort(-total, kind="stable")[:width]
    return order // step_logp.shape[1], order % step_logp.shape[1], total[order]


def normalised_score(log_prob, length, alpha):
    return log_prob / ((5 + length) / 6) ** alpha


@pytest.mark.parametrize(("check", "fn", "name"), [
    (nb05.check_shift_targets, shift_targets, "shift_targets"),
    (nb05.check_additive_scores, additive_scores, "additive_scores"),
    (nb05.check_beam_step, beam_step, "beam_step"),
    (nb05.check_normalised_score, normalised_score, "normalised_score"),
])
def test_correct_answers_pass_and_stubs_fail(check, fn, name, capsys):
    assert_passes_and_refuses_stub(check, fn, f"✓ {name}: correct", capsys)


def test_shift_the_wrong_way_is_named():
    with pytest.raises(ExerciseCheckFailed, match="decoder_input .* must start with <s>"):
        nb05.check_shift_targets(lambda full: (full[:, 1:], full[:, :-1]))
    with pytest.raises(ExerciseCheckFailed, match="hold no </s>"):
        nb05.check_shift_targets(lambda full: (full[:, :-1], full[:, 1:]))
    with pytest.raises(ExerciseCheckFailed, match="return a pair"):
        nb05.check_shift_targets(lambda full: full[:, :-1])


def test_additive_scores_without_tanh_or_projection_fail():
    with pytest.raises(ExerciseCheckFailed, match="AdditiveAttention's weights"):
        nb05.check_additive_scores(lambda q, k, wq, wk, v: ((q @ wq)[:, None] + k @ wk) @ v)
    with pytest.raises(ExerciseCheckFailed, match="AdditiveAttention's weights"):
        nb05.check_additive_scores(lambda q, k, wq, wk, v: np.tanh(q[:, None] + k) @ wq @ v)


def test_beam_step_per_beam_top_k_is_wrong():
    def per_beam(beam_logp, step_logp, width):  # best token of each beam: not a beam search
        tokens = step_logp.argmax(axis=1)
        totals = beam_logp + step_logp.max(axis=1)
        order = np.argsort(-totals)[:width]
        return order, tokens[order], totals[order]

    with pytest.raises(ExerciseCheckFailed, match="beam_step"):
        nb05.check_beam_step(per_beam)


def test_normalised_score_without_the_power_fails():
    with pytest.raises(ExerciseCheckFailed, match="normalised_score"):
        nb05.check_normalised_score(lambda lp, n, alpha: lp / n ** alpha)


@pytest.mark.parametrize("name", ["shift_targets", "additive_scores", "beam_step",
                                  "normalised_score"])
def test_unsolved_exercise_falls_back_to_a_reference_that_passes(name, monkeypatch, capsys):
    assert_stub_falls_back_to_a_passing_reference(getattr(nb05, f"check_{name}"), monkeypatch,
                                                  capsys)


def test_solved_exercise_returns_the_learners_function():
    assert nb05.check_normalised_score(normalised_score) is normalised_score


def test_additive_scores_check_holds_under_mixed_precision(monkeypatch):
    """The GPU run may set a mixed global policy; the check's reference layer stays float32."""
    import keras

    monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "1")
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        answer = nb05._reference_additive_scores
        assert nb05.check_additive_scores(answer) is answer
    finally:
        keras.mixed_precision.set_global_policy(previous)
