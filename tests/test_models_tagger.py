"""Sequence tagger: softmax or CRF output, optional character features."""

import keras
import numpy as np
import pytest

from rnnbook.models import CRFTagger, ModelConfigError, build_tagger, crf_decode, predict_tags

VOCAB, TAGS, CHARS = 20, 4, 9


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def tagging_data(n=32, length=6, width=4):
    """Tag = word id mod TAGS; chars spell the word id; right-padded sentences."""
    rng = np.random.default_rng(0)
    words = rng.integers(1, VOCAB, size=(n, length))
    lengths = rng.integers(2, length + 1, size=n)
    pad = np.arange(length)[None, :] >= lengths[:, None]
    words[pad] = 0
    tags = (words % TAGS) * ~pad
    chars = np.zeros((n, length, width), dtype="int32")
    chars[..., 0] = words % (CHARS - 1) + 1
    chars[..., 1] = (words // (CHARS - 1)) + 1
    chars[pad] = 0
    return words.astype("int32"), chars, tags.astype("int32"), ~pad


def test_softmax_tagger_trains_and_predicts():
    model = build_tagger(VOCAB, TAGS, embedding_dim=8, units=8, dropout=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    words, _, tags, mask = tagging_data()
    losses = model.fit(words, tags, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert model.predict(words[:3], verbose=0).shape == (3, 6, TAGS)
    pred = predict_tags(model, words[:3])
    assert pred.shape == (3, 6) and not pred[~mask[:3]].any()


@pytest.mark.parametrize("char_encoder", [None, "cnn", "bilstm"])
def test_crf_tagger_trains_and_decodes(char_encoder):
    model = build_tagger(
        VOCAB,
        TAGS,
        embedding_dim=8,
        units=8,
        crf=True,
        char_vocab_size=None if char_encoder is None else CHARS,
        char_encoder=char_encoder or "cnn",
        char_embedding_dim=4,
        char_units=4,
    )
    assert isinstance(model, CRFTagger)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    words, chars, tags, mask = tagging_data()
    x = words if char_encoder is None else [words, chars]
    losses = model.fit(x, tags, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    decoded = crf_decode(model, x)
    assert decoded.shape == words.shape and decoded.dtype == np.int32
    assert not decoded[~mask].any()
    np.testing.assert_array_equal(predict_tags(model, x), decoded)
    assert model.predict(x, verbose=0).shape == (32, 6, TAGS)  # potentials


def test_crf_loss_equals_layer_nll():
    model = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=True)
    words, _, tags, mask = tagging_data(n=4)
    potentials = model(words)
    loss = model.compute_loss(words, tags, potentials)
    expected = model.crf.nll(potentials, tags, mask)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loss), keras.ops.convert_to_numpy(expected), rtol=1e-6
    )


def test_tagger_rejects_bad_arguments():
    with pytest.raises(ModelConfigError, match="`char_encoder` must be one of"):
        build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, char_vocab_size=5, char_encoder="x")
    with pytest.raises(ModelConfigError, match="`num_tags` must be a positive integer"):
        build_tagger(VOCAB, 0, embedding_dim=4, units=3)
