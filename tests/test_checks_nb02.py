"""The notebook-02 checks pass correct answers and explain stubs and plausible mistakes."""

import math

import numpy as np
import pytest

from rnnbook.checks import ExerciseCheckFailed, nb02


def stub(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------- perplexity and bpc
def perplexity_and_bpc(loss_nats):
    return math.exp(loss_nats), loss_nats / math.log(2)


def test_perplexity_and_bpc_passes(capsys):
    nb02.check_perplexity_and_bpc(perplexity_and_bpc)
    assert "✓ perplexity_and_bpc: correct (4 cases)" in capsys.readouterr().out


def test_perplexity_and_bpc_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb02.check_perplexity_and_bpc(stub)


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


def test_add_k_passes(capsys):
    nb02.check_add_k_probability(add_k_probability)
    assert "✓ add_k_probability: correct (7 cases)" in capsys.readouterr().out


def test_add_k_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb02.check_add_k_probability(stub)


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


def test_temperature_passes(capsys):
    nb02.check_temperature_probs(temperature_probs)
    assert "✓ temperature_probs: correct (5 cases)" in capsys.readouterr().out


def test_temperature_stub():
    with pytest.raises(ExerciseCheckFailed, match="you have not written this yet"):
        nb02.check_temperature_probs(stub)


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
