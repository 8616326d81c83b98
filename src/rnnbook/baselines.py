"""Non-neural text-classification baselines: bag-of-n-grams TF-IDF + logistic regression.

Every RNN number in the sentiment notebook needs something to beat. This module wraps
scikit-learn (``TfidfVectorizer`` + ``LogisticRegression``); it only picks the regularisation
strength ``C`` on a validation set, never on the test set.

Documents may be raw strings (tokenised with :func:`rnnbook.text.word_tokenize`) or token lists
that are already tokenised (faster when the same corpus is vectorised several times).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from rnnbook.text import word_tokenize

__all__ = ["BaselineResult", "fit_bow_baseline", "make_vectorizer"]

Document = str | Sequence[str]


def _identity(doc: Document) -> Document:
    return doc


def _to_tokens(doc: Document) -> list[str]:
    """A raw string is tokenised with ``word_tokenize``; a token list is used as it is."""
    if isinstance(doc, str):
        return word_tokenize(doc)
    return list(doc)


def make_vectorizer(
    ngram_range: tuple[int, int] = (1, 1),
    *,
    min_df: int = 2,
    max_features: int | None = None,
    sublinear_tf: bool = True,
) -> TfidfVectorizer:
    """A ``TfidfVectorizer`` over word n-grams that accepts raw strings or token lists."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range must be (lo, hi) with 1 <= lo <= hi, got {ngram_range!r}")
    return TfidfVectorizer(
        preprocessor=_identity,
        tokenizer=_to_tokens,
        token_pattern=None,
        lowercase=False,
        ngram_range=(lo, hi),
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=sublinear_tf,
        dtype=np.float32,
    )


@dataclass
class BaselineResult:
    """A fitted pipeline (vectorizer + logistic regression) and how ``C`` was chosen."""

    pipeline: Pipeline
    ngram_range: tuple[int, int]
    C: float
    val_accuracy_by_C: dict[float, float]
    num_features: int
    fit_time_s: float

    @property
    def val_accuracy(self) -> float:
        """Validation accuracy of the chosen ``C``."""
        return self.val_accuracy_by_C[self.C]

    def accuracy(self, documents: Sequence[Document], labels: Sequence[int] | np.ndarray) -> float:
        """Accuracy of the fitted pipeline on ``documents``."""
        return float(self.pipeline.score(list(documents), np.asarray(labels)))


def fit_bow_baseline(
    train_docs: Sequence[Document],
    train_labels: Sequence[int] | np.ndarray,
    val_docs: Sequence[Document],
    val_labels: Sequence[int] | np.ndarray,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    Cs: Sequence[float] = (0.5, 2.0, 8.0),
    min_df: int = 2,
    max_features: int | None = None,
    max_iter: int = 1000,
) -> BaselineResult:
    """TF-IDF bag of n-grams + logistic regression; ``C`` is the one with the best val accuracy.

    The vectorizer is fitted on ``train_docs`` only. Ties in validation accuracy go to the
    smaller ``C`` (the stronger regularisation).

    Raises:
        ValueError: empty ``Cs``, or documents and labels of different lengths.
    """
    if not Cs:
        raise ValueError("Cs must hold at least one regularisation strength")
    for name, docs, labels in (("train", train_docs, train_labels),
                               ("val", val_docs, val_labels)):
        if len(docs) != len(labels):
            raise ValueError(f"{name}: {len(docs)} documents but {len(labels)} labels")
    start = time.perf_counter()
    vectorizer = make_vectorizer(ngram_range, min_df=min_df, max_features=max_features)
    x_train = vectorizer.fit_transform(list(train_docs))
    x_val = vectorizer.transform(list(val_docs))
    y_train, y_val = np.asarray(train_labels), np.asarray(val_labels)
    scores: dict[float, float] = {}
    models: dict[float, LogisticRegression] = {}
    for c in sorted(float(c) for c in Cs):
        clf = LogisticRegression(C=c, max_iter=max_iter, solver="liblinear")
        clf.fit(x_train, y_train)
        models[c] = clf
        scores[c] = float(clf.score(x_val, y_val))
    best = max(scores, key=lambda c: (scores[c], -c))
    pipeline = Pipeline([("vectorizer", vectorizer), ("classifier", models[best])])
    return BaselineResult(
        pipeline=pipeline,
        ngram_range=(int(ngram_range[0]), int(ngram_range[1])),
        C=best,
        val_accuracy_by_C=scores,
        num_features=len(vectorizer.vocabulary_),
        fit_time_s=time.perf_counter() - start,
    )
