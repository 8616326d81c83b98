"""The notebook-02 checks pass correct answers and explain stubs and plausible mistakes."""

import math

import numpy as np
import pytest
from conftest import assert_passes_and_refuses_stub, stub

from rnnbook.checks import ExerciseCheckFailed, nb02
from rnnbook.decoding import top_p_filter


# ----------------------------------------------------------------- perplexity and bpc
def perplexity_and_bpc(loss_nats):
    return math.exp(loss_nats), loss_nats / math.log(2)


def test_perplexity_and_bpc_wrong_log_base():
    def wrong(loss_nats):  # log10 instead of log2
        return math.exp(loss_nats), loss_nats / math.log(10)

    message = r"bits_per_char: values differ.*Hint: bits = nats / ln 2"
    with pytest.raises(ExerciseCheckFailed, match=message):
        nb02.check_perplexity_and_bpc(wrong)


def test_perplexity_and_bpc_wrong_shape_of_answer():
    with pytest.raises(ExerciseCheckFailed, match=r"return a pair \(perplexity, bits_per_char\)"):
        nb02.check_perplexity_and_bpc(lambda loss: math.exp(loss))


def test_perplexity_with_base_two_is_caught():
    def wrong(loss_nats):  # 2 ** loss is the perplexity only for a loss in bits
        return 2**loss_nats, loss_nats / math.log(2)

    message = r"perplexity: values differ.*expected 67.*Hint: perplexity = exp"
    with pytest.raises(ExerciseCheckFailed, match=message):
        nb02.check_perplexity_and_bpc(wrong)


# ----------------------------------------------------------------- add-k probability
def add_k_probability(text, context, char, vocab_size, k):
    n = len(context)
    c_h = c_hw = 0
    for i in range(len(text) - n):
        if text[i : i + n] == context:
            c_h += 1
            c_hw += text[i + n] == char
    return (c_hw + k) / (c_h + k * vocab_size)


def test_add_k_counting_the_context_at_the_end_is_caught():
    def wrong(text, context, char, vocab_size, k):  # counts every occurrence of the context
        c_h = text.count(context) if context else len(text)
        n = len(context)
        c_hw = sum(text[i : i + n + 1] == context + char for i in range(len(text) - n))
        return (c_hw + k) / (c_h + k * vocab_size)

    with pytest.raises(ExerciseCheckFailed, match=r"case \"context 'on' at the very end"):
        nb02.check_add_k_probability(wrong)


def test_add_k_forgetting_k_in_the_denominator_is_caught():
    def wrong(text, context, char, vocab_size, k):
        n = len(context)
        c_h = sum(text[i : i + n] == context for i in range(len(text) - n))
        c_hw = sum(text[i : i + n + 1] == context + char for i in range(len(text) - n))
        return (c_hw + k) / (c_h + k)

    with pytest.raises(ExerciseCheckFailed, match=r"add_k_probability, case .*values differ"):
        nb02.check_add_k_probability(wrong)


# ----------------------------------------------------------------- temperature
def temperature_probs(logits, temperature):
    z = np.asarray(logits, float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def test_temperature_multiplying_is_caught():
    def wrong(logits, temperature):
        return temperature_probs(np.asarray(logits) * temperature ** 2, temperature)

    with pytest.raises(ExerciseCheckFailed, match=r"temperature 0.5 \(sharper\).*values differ"):
        nb02.check_temperature_probs(wrong)


def test_temperature_overflow_gets_a_hint():
    def unstable(logits, temperature):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(np.asarray(logits, float) / temperature)
            return e / e.sum(axis=-1, keepdims=True)

    with pytest.raises(ExerciseCheckFailed, match="subtract the maximum"):
        nb02.check_temperature_probs(unstable)


def test_temperature_normalising_the_wrong_axis_is_caught():
    def wrong(logits, temperature):
        e = np.exp(np.asarray(logits, float) / temperature)
        return e / e.sum()

    with pytest.raises(ExerciseCheckFailed, match="must sum to 1"):
        nb02.check_temperature_probs(wrong)


def test_temperature_missing_return():
    with pytest.raises(ExerciseCheckFailed, match="forget to `return`"):
        nb02.check_temperature_probs(lambda logits, temperature: None)


# ----------------------------------------------------------------- new-style returns
def test_checks_return_the_answer_or_the_reference(monkeypatch, capsys):
    assert nb02.check_perplexity_and_bpc(perplexity_and_bpc) is perplexity_and_bpc
    monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "0")
    fallback = nb02.check_perplexity_and_bpc(stub)
    assert fallback is not stub
    assert fallback(math.log(4)) == pytest.approx((4.0, 2.0))
    out = capsys.readouterr().out
    assert "✗" in out and "library's reference (perplexity and bits per character)" in out
    fallback = nb02.check_top_p_filter(stub)
    assert fallback is top_p_filter
    temp = nb02.check_temperature_probs(stub)
    np.testing.assert_allclose(temp(np.array([0.0, 0.0]), 1.0), [0.5, 0.5])
    add_k = nb02.check_add_k_probability(stub)
    assert add_k("abab", "a", "b", 2, 0.0) == pytest.approx(1.0)


# ----------------------------------------------------------------- nucleus filter
def nucleus(logits, p):
    logits = np.asarray(logits, np.float64)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    order = np.argsort(-probs, axis=-1)
    sorted_probs = np.take_along_axis(probs, order, -1)
    keep_sorted = np.cumsum(sorted_probs, -1) - sorted_probs < p
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, -1)
    return np.where(keep, logits, -np.inf)


def test_top_p_stopping_one_token_early_is_caught():
    def early(logits, p):  # keeps tokens while the running total *including* them is below p
        logits = np.asarray(logits, np.float64)
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        order = np.argsort(-probs, axis=-1)
        keep_sorted = np.cumsum(np.take_along_axis(probs, order, -1), -1) < p
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, -1)
        return np.where(keep, logits, -np.inf)

    with pytest.raises(ExerciseCheckFailed, match="1 missing.*reach p belongs to the nucleus"):
        nb02.check_top_p_filter(early)


def test_top_p_without_softmax_is_caught():
    def raw(logits, p):  # adds up logits as if they were probabilities
        logits = np.asarray(logits, np.float64)
        order = np.argsort(-logits, axis=-1)
        sorted_l = np.take_along_axis(logits, order, -1)
        keep_sorted = np.cumsum(sorted_l, -1) - sorted_l < p
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, -1)
        return np.where(keep, logits, -np.inf)

    with pytest.raises(ExerciseCheckFailed, match="top_p_filter"):
        nb02.check_top_p_filter(raw)


def test_top_p_changing_the_kept_logits_is_caught():
    def probs_out(logits, p):
        out = nucleus(logits, p)
        return np.where(np.isfinite(out), np.exp(out), -np.inf)

    with pytest.raises(ExerciseCheckFailed, match="keep their logits unchanged"):
        nb02.check_top_p_filter(probs_out)


# ----------------------------------------------------------------- budget model
def _tiny_lm(units):
    from rnnbook.models import build_language_model

    return build_language_model(5, embedding_dim=4, cell="gru", units=units)


def test_budget_model_passes_and_fails(monkeypatch, capsys):
    import keras

    keras.utils.set_random_seed(0)
    ids = np.tile(np.arange(5), 200)
    model = _tiny_lm(8)
    params = model.count_params()
    kwargs = dict(batch_size=4, seq_len=10, max_params=params, max_epochs=2)
    loss = nb02.check_budget_model(lambda: (model, 2), ids, target=5.0, **kwargs)
    assert loss == pytest.approx(math.log(5), abs=0.2)  # untrained: about uniform
    assert "✓ budget model" in capsys.readouterr().out
    with pytest.raises(ExerciseCheckFailed, match=r"nats/char on validation, the target is 0.500"):
        nb02.check_budget_model(lambda: (model, 2), ids, target=0.5, **kwargs)
    with pytest.raises(ExerciseCheckFailed, match="parameters, the budget is"):
        nb02.check_budget_model(lambda: (_tiny_lm(16), 2), ids, target=5.0, **kwargs)
    with pytest.raises(ExerciseCheckFailed, match="trained 3 epochs"):
        nb02.check_budget_model(lambda: (model, 3), ids, target=5.0, **kwargs)
    with pytest.raises(ExerciseCheckFailed, match=r"return a pair \(model, epochs_trained\)"):
        nb02.check_budget_model(lambda: model, ids, target=5.0, **kwargs)
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb02.check_budget_model(stub, ids, target=5.0, **kwargs)
    monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "0")
    assert nb02.check_budget_model(stub, ids, target=5.0, **kwargs) is None
    assert "✗" in capsys.readouterr().out


# ----------------------------------------------------------------- every exercise
@pytest.mark.parametrize(("check", "answer", "line"), [
    (nb02.check_perplexity_and_bpc, perplexity_and_bpc, "✓ perplexity_and_bpc: correct (4 cases)"),
    (nb02.check_add_k_probability, add_k_probability, "✓ add_k_probability: correct (7 cases)"),
    (nb02.check_temperature_probs, temperature_probs, "✓ temperature_probs: correct (5 cases)"),
    (nb02.check_top_p_filter, nucleus, "✓ top_p_filter: correct (7 cases)"),
])
def test_correct_answers_pass_and_stubs_fail(check, answer, line, capsys):
    assert_passes_and_refuses_stub(check, answer, line, capsys)
