"""Encoder–decoder: teacher-forced training model and step-by-step inference models."""

import keras
import numpy as np
import pytest

from rnnbook.models import ModelConfigError, Seq2Seq, build_seq2seq

SRC_VOCAB, TGT_VOCAB = 11, 13


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def copy_data(n=32, length=5):
    """Target = source + 1 (mod TGT_VOCAB), with <s>=1 prepended for teacher forcing."""
    rng = np.random.default_rng(0)
    src = rng.integers(2, SRC_VOCAB, size=(n, length))
    lengths = rng.integers(2, length + 1, size=n)
    src[np.arange(length)[None, :] >= lengths[:, None]] = 0
    tgt = np.where(src > 0, src + 1, 0)
    tgt_in = np.concatenate([np.ones((n, 1), dtype=int), tgt[:, :-1]], axis=1)
    return src.astype("int32"), tgt_in.astype("int32"), tgt.astype("int32")


def _stepwise_logits(s2s, src, tgt_in):
    state = s2s.initial_state(src)
    logits, weights = [], []
    for t in range(tgt_in.shape[1]):
        step_logits, state = s2s.step(tgt_in[:, t], state)
        logits.append(step_logits)
        weights.append(state.get("attention"))
    return np.stack(logits, axis=1), weights


@pytest.mark.parametrize("attention", [None, "bahdanau", "luong"])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_step_decoding_reproduces_teacher_forcing(cell, attention):
    s2s = build_seq2seq(
        SRC_VOCAB, TGT_VOCAB, embedding_dim=6, units=5, cell=cell, attention=attention
    )
    src, tgt_in, _ = copy_data(n=3)
    tgt_in = np.maximum(tgt_in, 1)  # no padding on the query side
    full = keras.ops.convert_to_numpy(s2s.model([src, tgt_in]))
    stepped, weights = _stepwise_logits(s2s, src, tgt_in)
    np.testing.assert_allclose(stepped, full, atol=1e-5)
    if attention is None:
        assert s2s.attention_model is None and weights[0] is None
        return
    w = weights[0]
    assert w.shape == (3, src.shape[1])
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(w[src == 0] == 0)  # padded source positions get no attention
    full_w = keras.ops.convert_to_numpy(s2s.attention_model([src, tgt_in]))
    np.testing.assert_allclose(np.stack(weights, axis=1), full_w, atol=1e-5)


def test_seq2seq_trains_and_predicts():
    s2s = build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=8, units=16, attention="luong")
    s2s.model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    src, tgt_in, tgt_out = copy_data()
    losses = s2s.model.fit([src, tgt_in], tgt_out, epochs=6, batch_size=16, verbose=0)
    losses = losses.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert s2s.model.predict([src[:2], tgt_in[:2]], verbose=0).shape == (2, 5, TGT_VOCAB)
    enc_outputs, state = s2s.encode(src[:2])
    assert enc_outputs.shape == (2, 5, 16) and [s.shape for s in state] == [(2, 16)]


def test_from_model_rebuilds_inference_models():
    s2s = build_seq2seq(
        SRC_VOCAB, TGT_VOCAB, embedding_dim=4, units=3, cell="lstm", attention="bahdanau"
    )
    again = Seq2Seq.from_model(s2s.model)
    assert again.attention == "bahdanau"
    src, tgt_in, _ = copy_data(n=2)
    a, _ = _stepwise_logits(s2s, src, tgt_in[:, :2])
    b, _ = _stepwise_logits(again, src, tgt_in[:, :2])
    np.testing.assert_array_equal(a, b)


def test_seq2seq_rejects_bad_arguments():
    with pytest.raises(ModelConfigError, match="`attention` must be one of"):
        build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=4, units=3, attention="dot")
    with pytest.raises(ModelConfigError, match="`units` must be a positive integer"):
        build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=4, units=0)
    with pytest.raises(ModelConfigError, match="`cell` must be one of"):
        build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=4, units=3, cell="transformer")
