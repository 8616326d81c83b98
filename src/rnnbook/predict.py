"""Predict with saved models: the sentiment classifier of notebook 03 (``rnnbook predict``).

A sentiment model directory is written by :func:`save_sentiment_model` (a thin layer over
:func:`rnnbook.artifacts.save_artifacts`): ``model.keras`` (token ids ``[B, T]`` -> probability
of "positive" ``[B, 1]``), the word vocabulary ``vocab_tokens.json`` and, in ``meta.json``, how
texts were turned into ids (``max_len``, ``truncating``) and the two label names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnbook.text import Vocabulary, word_tokenize

__all__ = [
    "LABELS",
    "VOCAB_NAME",
    "PredictError",
    "SentimentModel",
    "encode_reviews",
    "load_sentiment_model",
    "predict_sentiment",
    "save_sentiment_model",
]

VOCAB_NAME = "tokens"
LABELS = ("negative", "positive")
TASK = "sentiment"


class PredictError(ValueError):
    """A model directory cannot be used for prediction (the message names the file and why)."""


def encode_reviews(
    texts: Sequence[str], vocabulary: Vocabulary, *, max_len: int, truncating: str = "pre"
) -> np.ndarray:
    """Token ids ``int32 [len(texts), max_len]``, right-padded with 0, as the notebook trains.

    ``truncating='pre'`` keeps the last ``max_len`` tokens (a review's verdict is often at its
    end). An empty text becomes a single ``<unk>`` so that no row is entirely padding.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, got one str; wrap it in a list")
    tokens = [word_tokenize(t) or [Vocabulary.UNK] for t in texts]
    return vocabulary.encode_batch(tokens, max_len=max_len, truncating=truncating)


def save_sentiment_model(
    directory: str | os.PathLike[str],
    model: Any,
    vocabulary: Vocabulary,
    *,
    max_len: int,
    truncating: str = "pre",
    labels: Sequence[str] = LABELS,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save a sentiment classifier so that :func:`predict_sentiment` and the CLI can load it."""
    if len(labels) != 2:
        raise ValueError(f"labels must name the two classes (0, 1), got {list(labels)!r}")
    info = {"task": TASK, "max_len": int(max_len), "truncating": truncating,
            "labels": list(labels), **(extra or {})}
    from rnnbook.artifacts import save_artifacts

    return save_artifacts(directory, model, {VOCAB_NAME: vocabulary}, extra=info)


class SentimentModel:
    """A loaded sentiment model: ``predict_proba(texts)`` and ``predict(texts)``."""

    def __init__(self, model: Any, vocabulary: Vocabulary, *, max_len: int,
                 truncating: str = "pre", labels: Sequence[str] = LABELS) -> None:
        self.model = model
        self.vocabulary = vocabulary
        self.max_len = int(max_len)
        self.truncating = truncating
        self.labels = tuple(labels)

    def predict_proba(self, texts: Sequence[str], *, batch_size: int = 256) -> np.ndarray:
        """Probability that each text is positive, float ``[len(texts)]``."""
        if not len(texts):
            return np.zeros((0,), dtype=np.float32)
        ids = encode_reviews(texts, self.vocabulary, max_len=self.max_len,
                             truncating=self.truncating)
        probs = np.asarray(self.model.predict(ids, batch_size=batch_size, verbose=0))
        return probs.reshape(len(texts))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """``(label, probability of that label)`` per text; the label's probability is >= 0.5."""
        out = []
        for p in self.predict_proba(texts):
            positive = bool(p >= 0.5)
            out.append((self.labels[int(positive)], float(p if positive else 1.0 - p)))
        return out


def load_sentiment_model(model_dir: str | os.PathLike[str]) -> SentimentModel:
    """Load a directory written by :func:`save_sentiment_model`.

    Raises:
        PredictError: the directory is missing, incomplete, or not a sentiment model.
    """
    from rnnbook.artifacts import load_model_folder

    path = Path(model_dir)
    hint = ("expected a folder written by rnnbook.predict.save_sentiment_model, such as "
            "artifacts/03_imdb_sentiment after running notebook 03")
    model, vocabularies, extra = load_model_folder(path, hint=hint, error=PredictError)
    if VOCAB_NAME not in vocabularies or "max_len" not in extra:
        raise PredictError(
            f"--model {path}: meta.json has no {VOCAB_NAME!r} vocabulary or no 'max_len': "
            f"not a sentiment model; {hint}")
    output_shape = tuple(model.outputs[0].shape) if getattr(model, "outputs", None) else ()
    if output_shape[-1:] != (1,):
        raise PredictError(f"--model {path}: the model outputs shape {output_shape}, expected "
                           "(batch, 1) probabilities of 'positive'")
    return SentimentModel(model, vocabularies[VOCAB_NAME], max_len=extra["max_len"],
                          truncating=extra.get("truncating", "pre"),
                          labels=extra.get("labels", LABELS))


def predict_sentiment(model_dir: Path, texts: list[str]) -> list[tuple[str, float]]:
    """``(label, probability of that label)`` for each text, with the model in ``model_dir``."""
    return load_sentiment_model(model_dir).predict(texts)
