"""Tests for rnnbook.metrics on small hand-computed cases."""

import math

import numpy as np
import pytest

from rnnbook.metrics import (
    bits_per_char,
    corpus_bleu,
    corpus_bleu_report,
    entity_scores,
    masked_accuracy,
    per_token_loss,
    perplexity,
    token_nll,
)


def test_perplexity_and_bits_per_char():
    assert perplexity(math.log(65)) == pytest.approx(65)
    assert perplexity(0.0) == 1.0
    np.testing.assert_allclose(perplexity(np.log([2.0, 10.0])), [2.0, 10.0])
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert bits_per_char(math.log(256)) == pytest.approx(8.0)


# P[t] = next-token probabilities after token t (row 0: after padding, never scored)
P = np.array([[1 / 3, 1 / 3, 1 / 3], [0.2, 0.3, 0.5], [0.2, 0.7, 0.1]])
X = np.array([[1, 0, 0], [1, 2, 2]])  # one sequence of 1 token, one of 3, padded with 0
Y = np.array([[2, 0, 0], [1, 1, 2]])
PER_TOKEN = (-math.log(0.5) - math.log(0.3) - math.log(0.7) - math.log(0.1)) / 4


def lookup_model(probabilities: bool = False):
    """A model whose output after token t is log P[t] (or P[t] itself)."""
    import keras

    table = P if probabilities else np.log(P)
    return keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(
        3, 3, embeddings_initializer=keras.initializers.Constant(table))])


def test_token_nll_hand_computed():
    nll, n = token_nll(np.log(P)[X], Y, Y != 0)
    assert n == 4 and nll == pytest.approx(4 * PER_TOKEN)
    nll_all, n_all = token_nll(P[X], Y, from_logits=False)
    assert n_all == 6 and nll_all == pytest.approx(4 * PER_TOKEN + 2 * math.log(3))
    with pytest.raises(ValueError, match="targets"):
        token_nll(P[X], Y[:, :2])


@pytest.mark.parametrize("batch_size", [1, 2])
def test_per_token_loss_counts_every_token_once(batch_size):
    model = lookup_model()
    assert per_token_loss(model, (X, Y), pad_id=0, batch_size=batch_size) == pytest.approx(
        PER_TOKEN)
    # the same as batches, as a sample-weight mask, and from probabilities
    batches = [(X[:1], Y[:1]), (X[1:], Y[1:])]
    assert per_token_loss(model, batches, pad_id=0) == pytest.approx(PER_TOKEN)
    assert per_token_loss(model, (X, Y, (Y != 0).astype("float32"))) == pytest.approx(PER_TOKEN)
    assert per_token_loss(lookup_model(probabilities=True), (X, Y), pad_id=0,
                          from_logits=False) == pytest.approx(PER_TOKEN)
    # a mean over sequences (what averaging per batch of one sequence gives) is another number
    per_sequence = (-math.log(0.5) + (-math.log(0.3) - math.log(0.7) - math.log(0.1)) / 3) / 2
    assert abs(per_sequence - PER_TOKEN) > 0.1
    with pytest.raises(ValueError, match="no tokens"):
        per_token_loss(model, (X, np.zeros_like(Y)), pad_id=0)


def test_masked_accuracy():
    y_true = np.array([[5, 6, 7, 0, 0], [1, 2, 0, 0, 0]])
    y_pred = np.array([[5, 9, 7, 0, 3], [1, 2, 4, 4, 4]])
    assert masked_accuracy(y_true, y_pred, 0) == pytest.approx(4 / 5)
    assert masked_accuracy(y_true, y_pred) == pytest.approx(5 / 10)
    assert masked_accuracy(y_true, y_pred, y_true != 0) == pytest.approx(4 / 5)
    scores = np.eye(10)[y_pred]  # one-hot scores -> argmax gives y_pred back
    assert masked_accuracy(y_true, scores, mask=0) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="y_pred"):
        masked_accuracy(y_true, y_pred[:, :3])
    with pytest.raises(ValueError, match="mask"):
        masked_accuracy(y_true, y_pred, np.ones(3, bool))


def test_entity_scores_one_wrong_boundary():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG"]]
    scores = entity_scores(true, pred)
    # 3 true entities, 3 predicted, 2 correct (PER's boundary is wrong)
    assert scores["overall"]["precision"] == pytest.approx(2 / 3)
    assert scores["overall"]["recall"] == pytest.approx(2 / 3)
    assert scores["overall"]["f1"] == pytest.approx(2 / 3)
    assert scores["overall"]["support"] == 3
    assert scores["per_type"]["PER"]["f1"] == 0.0
    assert scores["per_type"]["LOC"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert set(scores["per_type"]) == {"PER", "LOC", "ORG"}


def test_entity_scores_strict_vs_default():
    true = [["B-ORG", "I-ORG", "O"]]
    pred = [["I-ORG", "I-ORG", "O"]]  # invalid IOB2: starts with I-
    assert entity_scores(true, pred)["overall"]["f1"] == 1.0  # conlleval-style
    strict = entity_scores(true, pred, mode="strict")["overall"]
    assert strict["f1"] == 0.0 and strict["recall"] == 0.0
    with pytest.raises(ValueError, match="mode"):
        entity_scores(true, pred, mode="lenient")
    with pytest.raises(ValueError, match="sentence 0"):
        entity_scores(true, [["O"]])
    with pytest.raises(ValueError, match="sentences"):
        entity_scores(true, [])


def test_bleu_identical_is_100():
    hyps = ["the cat sat on the mat .", "a dog barked"]
    assert corpus_bleu(hyps, hyps) == pytest.approx(100.0)


def test_bleu_hand_computed():
    # n-gram precisions 5/6, 4/5, 3/4, 2/3 and equal lengths: BLEU = (1/3) ** (1/4)
    report = corpus_bleu_report(["a b c d e f"], ["a b c d e g"])
    np.testing.assert_allclose(report.precisions, [500 / 6, 80.0, 75.0, 200 / 3])
    assert report.bp == 1.0
    assert report.score == pytest.approx(100 * (1 / 3) ** 0.25)
    assert "tok:13a" in report.signature and "BLEU" in str(report)
    # all precisions 1, hypothesis 5 tokens vs reference 7: BLEU = BP = exp(1 - 7/5)
    assert corpus_bleu(["a b c d e"], ["a b c d e f g"]) == pytest.approx(100 * math.exp(-0.4))


def test_bleu_multiple_references():
    hyps = ["a b c d e f"]
    assert corpus_bleu(hyps, [["x y z", "a b c d e f"]]) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="references"):
        corpus_bleu(hyps, ["a", "b"])
    with pytest.raises(ValueError, match="same number"):
        corpus_bleu(["a", "b"], [["a"], ["b", "c"]])
    with pytest.raises(ValueError, match="hypotheses"):
        corpus_bleu([], [])


def test_bleu_bootstrap_interval_brackets_the_corpus_score_and_narrows_with_data():
    from rnnbook.metrics import bleu_bootstrap_ci, corpus_bleu

    hyps = ["the cat sat on the mat .", "a dog barked", "hello there", "I like green apples"]
    refs = [["the cat sat on a mat .", "a cat sat on the mat ."],
            ["the dog barked", "a dog barked loudly"], ["hello there", "hi there"],
            ["I like apples", "I love green apples"]]
    score = corpus_bleu(hyps * 5, refs * 5)
    low, high = bleu_bootstrap_ci(hyps * 5, refs * 5, n_boot=300, seed=1)
    assert low < score < high
    low_big, high_big = bleu_bootstrap_ci(hyps * 50, refs * 50, n_boot=300, seed=1)
    assert high_big - low_big < (high - low) / 2
    assert bleu_bootstrap_ci(hyps, refs, n_boot=50) == bleu_bootstrap_ci(hyps, refs, n_boot=50)
    with pytest.raises(ValueError, match="level"):
        bleu_bootstrap_ci(hyps, refs, level=1.5)


def test_corpus_chrf_matches_sacrebleu_and_takes_several_references():
    from sacrebleu.metrics import CHRF

    from rnnbook.metrics import corpus_chrf

    hyps = ["the cat sat", "hello world"]
    assert corpus_chrf(hyps, ["the cat sat", "hello world"]) == pytest.approx(100.0)
    two = corpus_chrf(hyps, [["a cat sits", "the cat sat"], ["hi world", "hello world"]])
    assert two == pytest.approx(CHRF().corpus_score(
        hyps, [["a cat sits", "hi world"], ["the cat sat", "hello world"]]).score)
    assert corpus_chrf(["the dog ran"], ["the cat sat"]) < 50
