"""Properties every task model must have: padding invariance and float32 outputs under
mixed precision (the final Dense computes in float32, keras-io's rule)."""

import keras
import numpy as np
import pytest

from rnnbook.models import build_classifier, build_language_model, build_seq2seq, build_tagger

VOCAB, TAGS, CHARS = 30, 5, 12


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _pad(ids, length):
    """Right-pad the last-but-char axis of `ids` `[B, T, ...]` with zeros to `length` steps."""
    widths = [(0, 0), (0, length - ids.shape[1])] + [(0, 0)] * (ids.ndim - 2)
    return np.pad(ids, widths)


def _sentences(n=3, length=7, width=5):
    rng = np.random.default_rng(1)
    words = rng.integers(1, VOCAB, size=(n, length)).astype("int32")
    lengths = np.array([length, 3, 1])[:n]
    words[np.arange(length)[None, :] >= lengths[:, None]] = 0
    chars = rng.integers(1, CHARS, size=(n, length, width)).astype("int32")
    chars[:, :, 3:] = 0
    chars[words == 0] = 0
    return words, chars, words != 0


@pytest.mark.parametrize("crf", [False, True], ids=["softmax", "crf"])
@pytest.mark.parametrize("char_encoder", ["cnn", "bilstm"])
def test_tagger_outputs_do_not_depend_on_padding(char_encoder, crf):
    model = build_tagger(VOCAB, TAGS, embedding_dim=6, units=5, char_vocab_size=CHARS,
                         char_encoder=char_encoder, char_embedding_dim=4, char_units=3, crf=crf)
    words, chars, mask = _sentences()
    out20 = _np(model([_pad(words, 20), _pad(chars, 20)]))[:, :7]
    out60 = _np(model([_pad(words, 60), _pad(chars, 60)]))[:, :7]
    np.testing.assert_allclose(out20[mask], out60[mask], rtol=1e-5, atol=1e-5)
    from rnnbook.models import predict_tags

    tags20 = predict_tags(model, [_pad(words, 20), _pad(chars, 20)])[:, :7]
    tags60 = predict_tags(model, [_pad(words, 60), _pad(chars, 60)])[:, :7]
    np.testing.assert_array_equal(tags20, tags60)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_output_does_not_depend_on_padding(bidirectional):
    model = build_classifier(VOCAB, embedding_dim=6, units=5, bidirectional=bidirectional)
    words, _, _ = _sentences()
    np.testing.assert_allclose(_np(model(_pad(words, 20))), _np(model(_pad(words, 60))),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cell", "length_aware"), [("gru", False), ("lstm", False),
                                                     ("gru", True)])
def test_seq2seq_encoder_does_not_depend_on_padding(cell, length_aware):
    s2s = build_seq2seq(VOCAB, VOCAB, embedding_dim=6, units=5, cell=cell, attention="luong",
                        length_aware=length_aware)
    words, _, mask = _sentences()
    out20, state20 = s2s.encode(_pad(words, 20))
    out60, state60 = s2s.encode(_pad(words, 60))
    np.testing.assert_allclose(out20[:, :7][mask], out60[:, :7][mask], rtol=1e-5, atol=1e-6)
    for a, b in zip(state20, state60, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    tgt = np.array([[2, 5, 6, 0]] * 3, dtype="int32")
    logits20 = _np(s2s.model([_pad(words, 20), tgt]))
    logits60 = _np(s2s.model([_pad(words, 60), tgt]))
    np.testing.assert_allclose(logits20, logits60, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("crf", [False, True], ids=["softmax", "crf"])
def test_length_aware_tagger_with_char_bilstm_computes_what_the_masked_one_does(crf):
    kwargs = dict(embedding_dim=6, units=5, char_vocab_size=CHARS, char_encoder="bilstm",
                  char_embedding_dim=4, char_units=3, crf=crf)
    masked = build_tagger(VOCAB, TAGS, **kwargs)
    fast = build_tagger(VOCAB, TAGS, length_aware=True, **kwargs)
    words, chars, mask = _sentences()
    inputs = [_pad(words, 11), _pad(chars, 11)]
    masked(inputs), fast(inputs)  # build
    fast.set_weights(masked.get_weights())
    np.testing.assert_allclose(_np(fast(inputs))[:, :7][mask], _np(masked(inputs))[:, :7][mask],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("attention", [None, "bahdanau"])
def test_length_aware_seq2seq_computes_what_the_masked_one_does(attention):
    """Same weights, same numbers: training logits, encoder states and one decoder step."""
    masked = build_seq2seq(VOCAB, VOCAB, embedding_dim=6, units=5, attention=attention)
    fast = build_seq2seq(VOCAB, VOCAB, embedding_dim=6, units=5, attention=attention,
                         length_aware=True)
    fast.model.set_weights(masked.model.get_weights())
    words, _, _ = _sentences()
    src = _pad(words, 9)
    tgt = np.array([[2, 5, 6, 0], [2, 7, 0, 0], [2, 0, 0, 0]], dtype="int32")
    tgt_mask = tgt != 0
    np.testing.assert_allclose(_np(fast.model([src, tgt]))[tgt_mask],
                               _np(masked.model([src, tgt]))[tgt_mask], rtol=1e-5, atol=1e-5)
    (fast_out, fast_state), (masked_out, masked_state) = fast.encode(src), masked.encode(src)
    np.testing.assert_allclose(fast_state[0], masked_state[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast_out[src != 0], masked_out[src != 0], rtol=1e-5, atol=1e-6)
    token = np.array([[2], [2], [2]], dtype="int32")
    fast_step = fast.step(token, fast.initial_state(src))[0]
    masked_step = masked.step(token, masked.initial_state(src))[0]
    np.testing.assert_allclose(fast_step, masked_step, rtol=1e-5, atol=1e-5)


def test_length_aware_seq2seq_refuses_an_lstm():
    from rnnbook.models.recurrent import ModelConfigError

    with pytest.raises(ModelConfigError, match="cell='gru'"):
        build_seq2seq(VOCAB, VOCAB, cell="lstm", length_aware=True)


@pytest.fixture
def mixed_precision():
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _final_dense(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][-1]


def _assert_float32_head(model, output):
    dense = _final_dense(model)
    assert dense.compute_dtype == "float32", dense.name
    assert keras.backend.standardize_dtype(output.dtype) == "float32"


def test_final_dense_is_float32_under_mixed_precision(mixed_precision):
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    words, chars, mask = _sentences()
    classifier = build_classifier(VOCAB, embedding_dim=6, units=5)
    _assert_float32_head(classifier, classifier(words))
    lm = build_language_model(VOCAB, embedding_dim=6, units=5)
    _assert_float32_head(lm, lm(words))
    s2s = build_seq2seq(VOCAB, VOCAB, embedding_dim=6, units=5, attention="bahdanau")
    _assert_float32_head(s2s.model, s2s.model([words, words]))
    for crf in (False, True):
        tagger = build_tagger(VOCAB, TAGS, embedding_dim=6, units=5, char_vocab_size=CHARS,
                              char_units=3, crf=crf)
        out = tagger([words, chars])
        _assert_float32_head(tagger, out)
        if crf:
            nll = tagger.compute_loss([words, chars], np.ones_like(words) * mask, out)
            assert keras.backend.standardize_dtype(nll.dtype) == "float32"
            assert np.isfinite(_np(nll))


def test_mixed_precision_fixture_restores_the_policy():
    assert keras.mixed_precision.global_policy().name == "float32"
