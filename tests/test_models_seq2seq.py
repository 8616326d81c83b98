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


def _stepper_logits(stepper, src, tgt_in):
    state = stepper.initial_state(src)
    logits = []
    for t in range(tgt_in.shape[1]):
        step_logits, state = stepper.step(tgt_in[:, t], state)
        logits.append(step_logits)
    return np.stack(logits, axis=1), state


@pytest.mark.parametrize("attention", [None, "bahdanau"])
@pytest.mark.parametrize("rows", [2, 3, 8])  # chunks with a short last one, exact, one padded
def test_stepper_reproduces_teacher_forcing_with_fixed_shapes(attention, rows):
    s2s = build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=6, units=5, attention=attention)
    src, tgt_in, _ = copy_data(n=5)
    tgt_in = np.maximum(tgt_in, 1)
    full = keras.ops.convert_to_numpy(s2s.model([src, tgt_in]))
    shapes = []
    for model in (s2s.encoder_model, s2s.decoder_step_model):
        original = model.predict_on_batch

        def record(inputs, _original=original):
            shapes.append(tuple(np.shape(x) for x in (inputs if isinstance(inputs, list)
                                                      else [inputs])))
            return _original(inputs)

        model.predict_on_batch = record
    stepper = s2s.stepper(rows=rows, src_len=src.shape[1] + 3)  # sources padded to src_len
    stepped, state = _stepper_logits(stepper, src, tgt_in)
    np.testing.assert_allclose(stepped, full, atol=1e-5)
    assert {s[0][0] for s in shapes} == {rows}  # every call sees `rows` rows
    assert len(set(shapes)) == 2  # one shape for the encoder, one for the decoder step
    if attention:
        assert state["attention"].shape == (5, src.shape[1] + 3)
        assert np.all(state["attention"][:, src.shape[1]:] == 0)


def test_beam_search_through_the_stepper_keeps_one_decoder_shape():
    from rnnbook.decoding import beam_search

    s2s = build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=6, units=5, attention="luong")
    src, _, _ = copy_data(n=3)
    shapes = set()
    original = s2s.decoder_step_model.predict_on_batch

    def record(inputs):
        shapes.add(tuple(np.shape(x) for x in inputs))
        return original(inputs)

    s2s.decoder_step_model.predict_on_batch = record
    stepper = s2s.stepper(rows=3 * 4, src_len=src.shape[1])
    hyps = beam_search(stepper.step, stepper.initial_state(src), np.full(3, 1), beam_width=4,
                       max_len=6, end_id=3, return_all=True)
    assert len(shapes) == 1 and len(hyps) == 3
    with pytest.raises(ValueError, match="length <= 5"):
        stepper.initial_state(np.ones((2, 6), "int32"))


def test_encode_and_decode_step_use_the_compiled_predict_function():
    s2s = build_seq2seq(SRC_VOCAB, TGT_VOCAB, embedding_dim=4, units=3, attention="bahdanau")
    src, _, _ = copy_data(n=2)
    enc_outputs, state = s2s.encode(src)
    s2s.decode_step(np.ones(2), state, enc_outputs, src != 0)
    assert s2s.encoder_model.predict_function is not None
    assert s2s.decoder_step_model.predict_function is not None
