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
    """Tag = 1 + word id mod (TAGS - 1) (tag 0 pads); chars spell the word id; right-padded."""
    rng = np.random.default_rng(0)
    words = rng.integers(1, VOCAB, size=(n, length))
    lengths = rng.integers(2, length + 1, size=n)
    pad = np.arange(length)[None, :] >= lengths[:, None]
    words[pad] = 0
    tags = (words % (TAGS - 1) + 1) * ~pad
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


def test_crf_tagger_decodes_a_batch_of_one_token_sentences():
    model = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=True)
    words = np.array([[3], [7]], dtype="int32")
    decoded = crf_decode(model, words)
    assert decoded.shape == (2, 1) and (decoded >= 1).all()


def test_crf_tagger_sample_weights_per_sentence_or_a_clear_error():
    model = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=True)
    words, _, tags, _ = tagging_data(n=4)
    potentials = model(words)
    plain = float(keras.ops.convert_to_numpy(model.compute_loss(words, tags, potentials)))
    weights = np.array([1.0, 0.0, 2.0, 1.0], dtype="float32")
    nll = -keras.ops.convert_to_numpy(
        model.crf.log_likelihood(potentials, tags, words != 0))
    for w in (weights, weights[:, None]):
        loss = float(keras.ops.convert_to_numpy(model.compute_loss(words, tags, potentials,
                                                                   sample_weight=w)))
        np.testing.assert_allclose(loss, np.mean(nll * weights), rtol=1e-5)
    assert plain == pytest.approx(float(np.mean(nll)), rel=1e-5)
    with pytest.raises(ValueError, match=r"one weight per sentence.*got shape \(4, 6\)"):
        model.compute_loss(words, tags, potentials, sample_weight=np.ones((4, 6), "float32"))
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="one weight per sentence"):
        model.fit(words, tags, sample_weight=np.ones((4, 6), "float32"), epochs=1, verbose=0)


@pytest.mark.parametrize("crf", [False, True], ids=["softmax", "crf"])
def test_padding_tag_is_never_predicted_at_a_real_word(crf):
    """Even when the network scores the padding tag highest, a real word gets a real tag."""
    model = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=crf)
    dense = model.get_layer("potentials" if crf else "logits")
    bias = np.zeros(TAGS, "float32")
    bias[0] = 50.0
    dense.bias.assign(bias)
    words, _, _, mask = tagging_data(n=8)
    pred = predict_tags(model, words)
    assert (pred[mask] >= 1).all() and not pred[~mask].any()
    unguarded = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=crf, pad_tag=None)
    unguarded.get_layer("potentials" if crf else "logits").bias.assign(bias)
    assert (predict_tags(unguarded, words)[mask] == 0).all()  # what the guard prevents
    with pytest.raises(ModelConfigError, match="`pad_tag` must be None or a tag id"):
        build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, pad_tag=TAGS)


def test_crf_tagger_save_and_load_keeps_decoding(tmp_path):
    model = build_tagger(VOCAB, TAGS, embedding_dim=4, units=3, crf=True, char_vocab_size=CHARS,
                         char_units=3)
    words, chars, _, _ = tagging_data(n=5)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_array_equal(crf_decode(loaded, [words, chars]),
                                  crf_decode(model, [words, chars]))


def test_train_tagger_restores_the_best_validation_epoch():
    from rnnbook.tagging import LengthBuckets, TaggingEncoder, tag_sentences, train_tagger

    rng = np.random.default_rng(0)
    names, other = ["Ann", "Bob", "Eve"], ["runs", "sleeps", "eats", "now"]
    sents = [[str(rng.choice(names)), *rng.choice(other, size=int(rng.integers(1, 9)))]
             for _ in range(120)]
    tags = [["B-PER"] + ["O"] * (len(s) - 1) for s in sents]
    enc = TaggingEncoder.fit(sents, tags)
    model = build_tagger(len(enc.words), len(enc.tags), embedding_dim=6, units=6, crf=True,
                         char_vocab_size=len(enc.chars), char_units=3)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    run = train_tagger(model, enc, LengthBuckets(enc, sents, tags, batch_size=16), sents[:30],
                       tags[:30], epochs=4)
    assert len(run.loss) == len(run.val_f1) == len(run.epoch_times_s) == 4
    assert run.loss[-1] < run.loss[0]
    assert run.best_val_f1 == max(run.val_f1) and run.val_f1[run.best_epoch - 1] == max(run.val_f1)
    from rnnbook.metrics import entity_counts, f1_from_counts

    restored = f1_from_counts(entity_counts(tags[:30], tag_sentences(model, enc, sents[:30])))
    assert restored == pytest.approx(run.best_val_f1)
    with pytest.raises(ValueError, match="`epochs` must be a positive integer"):
        train_tagger(model, enc, LengthBuckets(enc, sents, tags), sents, tags, epochs=0)


def test_iob2_constraints_make_every_decoded_sequence_valid():
    from rnnbook.tagging import iob2_forbidden, iob2_spans

    names = ["<pad>", "O", "B-PER", "I-PER"]
    pairs, start = iob2_forbidden(names)
    assert start.tolist() == [False, False, False, True]
    assert pairs[:, 3].tolist() == [False, True, False, False]  # I-PER only after B-/I-PER
    model = build_tagger(VOCAB, 4, embedding_dim=4, units=3, crf=True)
    bias = np.array([0.0, 0.0, 0.0, 20.0], "float32")  # the network loves I-PER
    model.get_layer("potentials").bias.assign(bias)
    words, _, _, mask = tagging_data(n=8)
    free = crf_decode(model, words)
    assert (free[mask] == 3).all()  # invalid IOB2: I-PER with no B-PER
    fixed = crf_decode(model, words, forbidden=(pairs, start))
    for row, m in zip(fixed, mask, strict=True):
        seq = [names[k] for k in row[m]]
        assert seq[0] != "I-PER"
        assert all(not (b == "I-PER" and a not in ("B-PER", "I-PER"))
                   for a, b in zip(seq, seq[1:], strict=False))
        assert iob2_spans(seq)  # the I-PER run became one PER entity
    with pytest.raises(ValueError, match="forbidden transitions need a CRF"):
        predict_tags(build_tagger(VOCAB, 4, embedding_dim=4, units=3), words,
                     forbidden=(pairs, start))


@pytest.mark.parametrize("crf", [False, True])
def test_length_aware_tagger_gives_the_masked_taggers_numbers(crf):
    words, chars, _, mask = tagging_data(n=6, length=7)
    kwargs = dict(embedding_dim=5, units=4, char_vocab_size=CHARS, char_encoder="cnn",
                  char_units=3, crf=crf)
    masked = build_tagger(VOCAB, TAGS, **kwargs)
    fast = build_tagger(VOCAB, TAGS, length_aware=True, **kwargs)
    fast.set_weights(masked.get_weights())
    want = masked.predict([words, chars], verbose=0)
    got = fast.predict([words, chars], verbose=0)
    np.testing.assert_allclose(got[mask], want[mask], atol=1e-5)
    np.testing.assert_array_equal(predict_tags(fast, [words, chars])[mask],
                                  predict_tags(masked, [words, chars])[mask])
