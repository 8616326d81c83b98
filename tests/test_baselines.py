"""Tests for rnnbook.baselines (bag-of-n-grams logistic regression)."""

import numpy as np
import pytest

from rnnbook.baselines import fit_bow_baseline, make_vectorizer

TRAIN = ["a great film", "great acting", "not bad at all", "a wonderful story",
         "an awful film", "awful acting", "not good at all", "a boring story"]
LABELS = [1, 1, 1, 1, 0, 0, 0, 0]
VAL = ["great story", "wonderful film", "awful story", "boring film"]
VAL_LABELS = [1, 1, 0, 0]


def test_vectorizer_accepts_strings_and_token_lists():
    vec = make_vectorizer((1, 2), min_df=1)
    x = vec.fit_transform(["Great film!", ["not", "bad"]])
    assert {"great", "film", "!", "great film", "not bad"} <= set(vec.vocabulary_)
    assert x.shape[0] == 2 and x.dtype == np.float32


def test_vectorizer_rejects_bad_ngram_range():
    with pytest.raises(ValueError, match="ngram_range"):
        make_vectorizer((2, 1))


def test_bigrams_see_negation_and_c_is_chosen_on_validation():
    result = fit_bow_baseline(TRAIN, LABELS, VAL, VAL_LABELS, ngram_range=(1, 2),
                              Cs=(0.1, 10.0), min_df=1)
    assert set(result.val_accuracy_by_C) == {0.1, 10.0}
    assert result.val_accuracy == max(result.val_accuracy_by_C.values())
    assert result.C in (0.1, 10.0) and result.ngram_range == (1, 2)
    assert "not bad" in result.pipeline.named_steps["vectorizer"].vocabulary_
    assert result.accuracy(VAL, VAL_LABELS) == pytest.approx(result.val_accuracy)
    assert result.accuracy(VAL, VAL_LABELS) == 1.0
    assert result.pipeline.decision_function(["great film"]).shape == (1,)


def test_ties_go_to_the_smaller_c():
    result = fit_bow_baseline(TRAIN, LABELS, VAL, VAL_LABELS, Cs=(100.0, 50.0), min_df=1)
    assert result.val_accuracy_by_C[50.0] == result.val_accuracy_by_C[100.0]
    assert result.C == 50.0


def test_argument_errors():
    with pytest.raises(ValueError, match="Cs"):
        fit_bow_baseline(TRAIN, LABELS, VAL, VAL_LABELS, Cs=())
    with pytest.raises(ValueError, match="val: 4 documents but 3 labels"):
        fit_bow_baseline(TRAIN, LABELS, VAL, VAL_LABELS[:3])
