"""Tests for rnnbook.ngram: counting, smoothing (against brute force), sizes and sampling."""

import math
from collections import Counter

import numpy as np
import pytest

from rnnbook.ngram import NGramLM, adaptive_log_probs, add_k_probability, count_ngrams

V = 5
RNG = np.random.default_rng(0)
TRAIN = RNG.integers(0, 4, 400)  # id 4 never occurs in training
VAL = np.concatenate([RNG.integers(0, 5, 60), [4, 4, 4]])


def brute_witten_bell(train, history, token, order, vocab):
    """P(token | history) by the recursive Witten-Bell formula, with plain Python counting."""
    train = list(map(int, train))
    prob = 1.0 / vocab
    for n in range(1, order + 1):
        if len(history) < n - 1:
            break
        ctx = list(history[len(history) - (n - 1):]) if n > 1 else []
        followers = Counter(
            train[i + n - 1] for i in range(len(train) - n + 1) if train[i : i + n - 1] == ctx
        )
        c_h, t_h = sum(followers.values()), len(followers)
        if c_h:
            prob = (followers[token] + t_h * prob) / (c_h + t_h)
    return prob


def test_count_ngrams_on_a_string():
    counts = count_ngrams("abab", 2)
    assert counts == Counter({("a", "b"): 2, ("b", "a"): 1})
    assert sum(count_ngrams("hello", 3).values()) == 3
    with pytest.raises(ValueError, match="`n` must be a positive integer"):
        count_ngrams("abc", 0)


def test_add_k_probability_by_hand():
    # "ab" occurs twice with a follower ('a' then 'c'); "ab" at the end has none
    text = "abaabcab"
    assert add_k_probability(text, "ab", "a", vocab_size=3, k=1) == pytest.approx((1 + 1) / (2 + 3))
    assert add_k_probability(text, "ab", "b", vocab_size=3, k=1) == pytest.approx(1 / 5)
    assert add_k_probability(text, "ab", "a", vocab_size=3, k=0) == pytest.approx(1 / 2)
    assert add_k_probability(text, "zz", "a", vocab_size=3, k=0.5) == pytest.approx(1 / 3)
    # empty context: smoothed unigram over all 8 positions
    assert add_k_probability(text, "", "a", vocab_size=3, k=1) == pytest.approx((4 + 1) / (8 + 3))
    assert add_k_probability([1, 2, 1, 2], [1], 2, vocab_size=4, k=0) == 1.0
    with pytest.raises(ValueError, match="undefined"):
        add_k_probability(text, "zz", "a", vocab_size=3, k=0)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_witten_bell_matches_brute_force(order):
    lm = NGramLM.fit(TRAIN, order=order, vocab_size=V)
    lp = lm.log_probs(VAL[:25])
    for i in range(25):
        history = list(map(int, VAL[max(0, i - order + 1) : i]))
        expected = brute_witten_bell(TRAIN, history, int(VAL[i]), order, V)
        assert math.exp(lp[i]) == pytest.approx(expected, rel=1e-10)


def test_history_gives_context_to_the_first_positions():
    lm = NGramLM.fit(TRAIN, order=3, vocab_size=V)
    whole = lm.log_probs(VAL)
    split = lm.log_probs(VAL[10:], history=VAL[:10])
    np.testing.assert_allclose(split, whole[10:])


@pytest.mark.parametrize("smoothing", ["witten_bell", "add_k"])
def test_next_token_probs_is_a_distribution_consistent_with_log_probs(smoothing):
    lm = NGramLM.fit(TRAIN, order=3, vocab_size=V, smoothing=smoothing, k=0.5)
    for i in range(2, 12):
        probs = lm.next_token_probs(VAL[:i])
        assert probs.shape == (V,)
        assert probs.sum() == pytest.approx(1.0)
        assert (probs > 0).all()
        assert math.log(probs[VAL[i]]) == pytest.approx(lm.log_probs(VAL[: i + 1])[i])


def test_unseen_token_and_context_give_finite_perplexity():
    lm = NGramLM.fit(TRAIN, order=4, vocab_size=V)
    assert np.isfinite(lm.log_probs(VAL)).all()
    assert math.isfinite(lm.perplexity(VAL))
    assert lm.cross_entropy(VAL) == pytest.approx(-lm.log_probs(VAL).mean())
    assert lm.perplexity(VAL) == pytest.approx(math.exp(lm.cross_entropy(VAL)))
    assert lm.unseen_fraction(VAL) > 0


def test_add_k_model_matches_add_k_probability():
    lm = NGramLM.fit(TRAIN, order=3, vocab_size=V, smoothing="add_k", k=0.1)
    lp = lm.log_probs(VAL[:20])
    for i in range(2, 20):
        expected = add_k_probability(list(TRAIN), list(VAL[i - 2 : i]), VAL[i], vocab_size=V,
                                     k=0.1)
        assert math.exp(lp[i]) == pytest.approx(expected)
    assert lp[0] == pytest.approx(math.log(1 / V))  # no full context: uniform


def test_uniform_data_gives_perplexity_near_vocab_size():
    data = np.random.default_rng(1).integers(0, V, 20000)
    lm = NGramLM.fit(data, order=1, vocab_size=V)
    val = np.random.default_rng(2).integers(0, V, 5000)
    assert lm.perplexity(val) == pytest.approx(V, rel=0.01)


def test_table_sizes_and_unseen_fraction():
    lm = NGramLM.fit([0, 1, 0, 1, 2], order=2, vocab_size=3)
    # bigrams: 01, 10, 01, 12 -> 3 distinct; contexts 0 and 1
    assert lm.table_sizes() == {"ngrams": 3, "contexts": 2, "total_ngrams": 6}
    assert lm.tables[0].num_ngrams == 3
    assert lm.unseen_fraction([0, 1, 1, 2]) == pytest.approx(1 / 3)  # 11 unseen
    assert lm.unseen_fraction([2], history=[1]) == 0.0
    assert "order=2" in repr(lm)


def test_generate_is_seeded_and_follows_deterministic_text():
    lm = NGramLM.fit(np.tile([0, 1, 2, 3], 100), order=3, vocab_size=4)
    out = lm.generate([0, 1], 8, seed=0)
    assert out.tolist() == [2, 3, 0, 1, 2, 3, 0, 1]
    a = NGramLM.fit(TRAIN, order=2, vocab_size=V).generate([1], 20, seed=3)
    b = NGramLM.fit(TRAIN, order=2, vocab_size=V).generate([1], 20, seed=3)
    assert a.tolist() == b.tolist()


def test_bad_arguments():
    with pytest.raises(ValueError, match="ids must lie in"):
        NGramLM.fit([0, 1, 7], order=2, vocab_size=3)
    with pytest.raises(ValueError, match="`order` must be a positive integer"):
        NGramLM.fit([0, 1], order=0, vocab_size=3)
    with pytest.raises(ValueError, match="does not fit"):
        NGramLM.fit([0, 1], order=20, vocab_size=100)
    with pytest.raises(ValueError, match="smoothing must be one of"):
        NGramLM.fit([0, 1, 2], order=2, vocab_size=3, smoothing="kneser_ney")
    with pytest.raises(ValueError, match="1-D"):
        NGramLM.fit(np.zeros((2, 2), int), order=1, vocab_size=3)
    with pytest.raises(ValueError, match="at least order"):
        NGramLM.fit([0], order=2, vocab_size=3)


def test_adaptive_log_probs_count_each_block_after_scoring_it():
    # unigram, V = 3, Witten-Bell: P(w) = (c(w) + T / V) / (N + T)
    # block 1 from [0, 0] (N 2, T 1): P(1) = (1/3) / 3; block 2 from [0, 0, 1, 1] (N 4, T 2):
    # P(1) = (2 + 2/3) / 6
    got = adaptive_log_probs([0, 0], [1, 1, 1, 1], order=1, vocab_size=3, block=2)
    np.testing.assert_allclose(np.exp(got), [1 / 9, 1 / 9, 4 / 9, 4 / 9])


def test_adaptive_log_probs_with_one_block_is_the_static_model():
    rng = np.random.default_rng(7)
    train, text = rng.integers(0, 5, size=300), rng.integers(0, 5, size=40)
    static = NGramLM.fit(train, order=3, vocab_size=5).log_probs(text)
    np.testing.assert_allclose(adaptive_log_probs(train, text, order=3, vocab_size=5, block=40),
                               static)
    # the first block of any blocking is the static score too; later blocks pass on the history
    blocked = adaptive_log_probs(train, text, order=3, vocab_size=5, block=15)
    np.testing.assert_allclose(blocked[:15], static[:15])
    assert blocked.shape == static.shape


def test_adaptive_log_probs_learn_a_new_phrase():
    train = np.random.default_rng(8).integers(0, 6, size=500)
    phrase = np.tile([6, 7, 6, 8], 50)  # ids the training text never has
    static = NGramLM.fit(train, order=3, vocab_size=9).cross_entropy(phrase)
    adaptive = -adaptive_log_probs(train, phrase, order=3, vocab_size=9, block=20)
    assert adaptive[-20:].mean() < 0.2 < static


@pytest.mark.parametrize("block", [0, -3, 2.5])
def test_adaptive_log_probs_reject_a_bad_block(block):
    with pytest.raises(ValueError, match="block"):
        adaptive_log_probs([0, 1, 0], [1, 0], order=2, vocab_size=2, block=block)
