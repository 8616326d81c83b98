"""Tests for rnnbook.predict and `rnnbook predict sentiment` (a tiny model trained here)."""

import json

import keras
import numpy as np
import pytest

from rnnbook import cli
from rnnbook.artifacts import save_artifacts
from rnnbook.models import build_classifier
from rnnbook.predict import (
    PredictError,
    encode_reviews,
    load_sentiment_model,
    predict_sentiment,
    save_sentiment_model,
)
from rnnbook.text import Vocabulary, word_tokenize

POSITIVE = ["great film", "a great movie", "wonderful film", "great acting , wonderful story"]
NEGATIVE = ["awful film", "an awful movie", "boring film", "awful acting , boring story"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    keras.utils.set_random_seed(0)
    texts = POSITIVE + NEGATIVE
    labels = np.array([1] * len(POSITIVE) + [0] * len(NEGATIVE), dtype="float32")
    vocab = Vocabulary.fit([word_tokenize(t) for t in texts])
    x = encode_reviews(texts, vocab, max_len=6)
    model = build_classifier(len(vocab), embedding_dim=8, cell="gru", units=8)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy")
    model.fit(x, labels, epochs=12, batch_size=8, verbose=0)
    return save_sentiment_model(tmp_path_factory.mktemp("art") / "sentiment", model, vocab,
                                max_len=6)


def test_encode_reviews_right_pads_and_keeps_the_end():
    vocab = Vocabulary.fit([["a", "b", "c"]])
    ids = encode_reviews(["a b c", "c", ""], vocab, max_len=2)
    a, b, c = (vocab.token_to_id(t) for t in "abc")
    assert ids.tolist() == [[b, c], [c, 0], [Vocabulary.UNK_ID, 0]]
    with pytest.raises(TypeError, match="list of strings"):
        encode_reviews("a b", vocab, max_len=2)


def test_predict_sentiment_labels_and_probabilities(model_dir):
    out = predict_sentiment(model_dir, ["great film", "awful film"])
    assert [label for label, _ in out] == ["positive", "negative"]
    assert all(0.5 <= p <= 1.0 for _, p in out)
    meta = json.loads((model_dir / "meta.json").read_text())
    assert meta["extra"]["max_len"] == 6 and meta["extra"]["labels"] == ["negative", "positive"]


def test_probability_is_for_the_returned_label(model_dir):
    sm = load_sentiment_model(model_dir)
    p_pos = sm.predict_proba(["great film", "awful film"])
    (l1, p1), (l2, p2) = sm.predict(["great film", "awful film"])
    assert p1 == pytest.approx(float(p_pos[0]), abs=1e-6)
    assert p2 == pytest.approx(1.0 - float(p_pos[1]), abs=1e-6)
    assert sm.predict_proba([]).shape == (0,)


def test_cli_prints_label_and_probability(model_dir, capsys):
    status = cli.main(["predict", "sentiment", "--model", str(model_dir), "great film",
                       "awful film"])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    label, prob, text = lines[0].split("\t")
    assert (label, text) == ("positive", "great film")
    assert 0.5 <= float(prob) <= 1.0
    assert lines[1].split("\t")[0] == "negative"


def test_cli_missing_model_dir_is_a_clear_error(tmp_path, capsys):
    status = cli.main(["predict", "sentiment", "--model", str(tmp_path / "nope"), "great"])
    assert status == 2
    err = capsys.readouterr().err
    assert "no such directory" in err and "notebook 03" in err


def test_cli_incomplete_model_dir_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "meta.json").write_text("{}")
    status = cli.main(["predict", "sentiment", "--model", str(tmp_path), "great"])
    assert status == 2
    assert "model.keras not found" in capsys.readouterr().err


def test_a_model_without_the_vocabulary_is_rejected(tmp_path):
    model = build_classifier(10, embedding_dim=4, cell="gru", units=2)
    save_artifacts(tmp_path / "m", model, {}, extra={})
    with pytest.raises(PredictError, match="not a sentiment model"):
        load_sentiment_model(tmp_path / "m")


def test_save_sentiment_model_needs_two_labels(tmp_path):
    model = build_classifier(10, embedding_dim=4, cell="gru", units=2)
    with pytest.raises(ValueError, match="two classes"):
        save_sentiment_model(tmp_path / "m", model, Vocabulary(), max_len=4, labels=["x"])
