"""save_artifacts / load_artifacts round trips for every task model."""

import json

import keras
import numpy as np
import pytest

from rnnbook.artifacts import ArtifactError, load_artifacts, save_artifacts
from rnnbook.models import (
    CRFTagger,
    LanguageModelStepper,
    Seq2Seq,
    build_classifier,
    build_language_model,
    build_seq2seq,
    build_tagger,
    crf_decode,
)
from rnnbook.text import Vocabulary

WORDS = ["the", "cat", "sat", "on", "a", "mat"]


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture
def vocab():
    return Vocabulary.from_tokens(WORDS)


def _ids(n=3, length=5, high=10, pad_from=3):
    x = np.random.default_rng(0).integers(1, high, size=(n, length)).astype("int32")
    x[0, pad_from:] = 0
    return x


def _roundtrip(tmp_path, model, vocabularies, extra=None):
    target = save_artifacts(tmp_path / "run", model, vocabularies, extra)
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["model.keras", "meta.json"] + [f"vocab_{name}.json" for name in vocabularies]
    )
    loaded, vocabs, loaded_extra = load_artifacts(target)
    assert {k: v.tokens for k, v in vocabs.items()} == {
        k: v.tokens for k, v in vocabularies.items()
    }
    assert loaded_extra == (extra or {})
    return loaded


def _same_predictions(a, b, x):
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_language_model_roundtrip(tmp_path, vocab):
    model = build_language_model(10, embedding_dim=4, cell="lstm", units=3, num_layers=2)
    loaded = _roundtrip(tmp_path, model, {"tokens": vocab}, {"seq_len": 5})
    x = _ids(pad_from=5)
    _same_predictions(model, loaded, x)
    a, b = LanguageModelStepper(model), LanguageModelStepper(loaded)
    np.testing.assert_array_equal(
        a.step(x[:, 0], a.initial_state(3))[0], b.step(x[:, 0], b.initial_state(3))[0]
    )


def test_classifier_roundtrip(tmp_path, vocab):
    model = build_classifier(10, embedding_dim=4, cell="gru", units=3, bidirectional=True)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(_ids(), np.array([0.0, 1.0, 1.0]), epochs=1, verbose=0)
    loaded = _roundtrip(tmp_path, model, {"tokens": vocab})
    _same_predictions(model, loaded, _ids())


@pytest.mark.parametrize("crf", [False, True])
def test_tagger_roundtrip(tmp_path, vocab, crf):
    model = build_tagger(
        10,
        3,
        embedding_dim=4,
        units=3,
        crf=crf,
        char_vocab_size=6,
        char_encoder="bilstm" if crf else "cnn",
        char_units=2,
    )
    words = _ids()
    chars = np.random.default_rng(1).integers(0, 6, size=(3, 5, 4)).astype("int32")
    x = [words, chars]
    tags = Vocabulary.from_tokens(["O", "B-PER", "I-PER"], reserved=("<pad>",))
    loaded = _roundtrip(tmp_path, model, {"words": vocab, "tags": tags})
    assert isinstance(loaded, CRFTagger) == crf
    _same_predictions(model, loaded, x)
    if crf:
        np.testing.assert_array_equal(crf_decode(model, x), crf_decode(loaded, x))


def test_seq2seq_roundtrip(tmp_path, vocab):
    s2s = build_seq2seq(10, 12, embedding_dim=4, units=3, cell="gru", attention="bahdanau")
    loaded = _roundtrip(tmp_path, s2s.model, {"src": vocab, "tgt": vocab})
    src, tgt_in = _ids(), _ids(high=12, pad_from=5)
    _same_predictions(s2s.model, loaded, [src, tgt_in])
    again = Seq2Seq.from_model(loaded)
    a = s2s.step(tgt_in[:, 0], s2s.initial_state(src))
    b = again.step(tgt_in[:, 0], again.initial_state(src))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1]["attention"], b[1]["attention"])


def test_save_replaces_existing_directory_and_writes_meta(tmp_path, vocab):
    model = build_classifier(10, embedding_dim=4, cell="simple", units=2)
    save_artifacts(tmp_path / "run", model, {"tokens": vocab})
    (tmp_path / "run" / "stale.txt").write_text("old")
    save_artifacts(tmp_path / "run", model, {}, {"epoch": 3})
    assert not (tmp_path / "run" / "stale.txt").exists()
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["extra"] == {"epoch": 3} and meta["vocabularies"] == []
    assert meta["backend"] == keras.backend.backend()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary leftovers


def test_bad_arguments_and_missing_files(tmp_path, vocab):
    model = build_classifier(10, embedding_dim=4, cell="simple", units=2)
    with pytest.raises(ArtifactError, match="vocabulary name 'a/b' must match"):
        save_artifacts(tmp_path / "run", model, {"a/b": vocab})
    with pytest.raises(ArtifactError, match="`extra` must be JSON-serialisable"):
        save_artifacts(tmp_path / "run", model, {}, {"x": object()})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="meta.json not found"):
        load_artifacts(tmp_path / "nowhere")
    save_artifacts(tmp_path / "run", model, {"tokens": vocab})
    (tmp_path / "run" / "vocab_tokens.json").unlink()
    with pytest.raises(FileNotFoundError, match="vocab_tokens.json not found"):
        load_artifacts(tmp_path / "run")
