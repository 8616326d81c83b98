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
    perplexity,
)


def test_perplexity_and_bits_per_char():
    assert perplexity(math.log(65)) == pytest.approx(65)
    assert perplexity(0.0) == 1.0
    np.testing.assert_allclose(perplexity(np.log([2.0, 10.0])), [2.0, 10.0])
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert bits_per_char(math.log(256)) == pytest.approx(8.0)


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
