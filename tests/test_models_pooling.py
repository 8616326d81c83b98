"""Masked pooling over time, the pooled classifier and ULMFiT-style weight transfer (every
backend: this file runs on TensorFlow, PyTorch and JAX)."""

import keras
import numpy as np
import pytest

from rnnbook.layers import MaskedTimePooling
from rnnbook.lm_pretrain import build_word_lm, lm_windows, saturated_share, transfer_lm_weights
from rnnbook.models import ModelConfigError, build_classifier

VOCAB = 30


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def test_pooling_matches_numpy_on_the_real_steps():
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    got = _np(MaskedTimePooling(("max", "mean"))(x, mask=mask))
    for i, n in enumerate(mask.sum(axis=1)):
        np.testing.assert_allclose(got[i, :4], x[i, :n].max(axis=0), atol=1e-6)
        np.testing.assert_allclose(got[i, 4:], x[i, :n].mean(axis=0), atol=1e-6)


def test_pooling_ignores_large_values_on_padded_steps():
    x = np.zeros((1, 4, 2), "float32")
    x[0, :2] = -1.0
    x[0, 2:] = 100.0  # padding with large values must not win the max
    got = _np(MaskedTimePooling(("max",))(x, mask=np.array([[1, 1, 0, 0]], bool)))
    np.testing.assert_allclose(got, [[-1.0, -1.0]])


def test_pooling_without_mask_uses_every_step_and_rejects_bad_modes():
    x = np.arange(12, dtype="float32").reshape(1, 6, 2)
    np.testing.assert_allclose(_np(MaskedTimePooling(("mean",))(x)), [[5.0, 6.0]])
    with pytest.raises(ValueError, match="modes must be a non-empty subset"):
        MaskedTimePooling(("median",))
    with pytest.raises(ModelConfigError, match="`pooling` must be one of"):
        build_classifier(VOCAB, embedding_dim=4, units=4, pooling="attention")


@pytest.mark.parametrize("length_aware", [False, True])
@pytest.mark.parametrize("pooling", ["max_mean", "max", "mean"])
def test_pooled_classifier_is_invariant_to_padding(pooling, length_aware):
    model = build_classifier(VOCAB, embedding_dim=6, units=5, bidirectional=True, num_layers=2,
                             pooling=pooling, embedding_dropout=0.2, dropout=0.2,
                             length_aware=length_aware)
    ids = np.array([[5, 9, 2, 7, 0, 0], [4, 0, 0, 0, 0, 0], [3, 8, 8, 6, 1, 12]], np.int32)
    short = _np(model(ids))
    longer = _np(model(np.pad(ids, ((0, 0), (0, 25)))))
    assert short.shape == (3, 1)
    np.testing.assert_allclose(short, longer, atol=1e-5)


def test_pooled_classifier_one_token_review_and_training_falls():
    rng = np.random.default_rng(0)
    x = rng.integers(4, VOCAB, size=(64, 9)).astype("int32")
    y = rng.integers(0, 2, size=64).astype("float32")
    x[y == 1, 0] = 3  # the label is "token 3 occurs", anywhere
    x[:, 6:][rng.random((64, 3)) < 0.5] = 0
    x[:, 7:] = np.where(x[:, 6:7] == 0, 0, x[:, 7:])  # keep rows right-padded
    model = build_classifier(VOCAB, embedding_dim=8, units=8, bidirectional=True,
                             pooling="max_mean")
    model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert _np(model(np.array([[3]], np.int32))).shape == (1, 1)


def test_lm_windows_shift_by_one_and_reverse():
    x, y = lm_windows([[1, 2, 3], [4, 5, 6, 7]], window=3)
    np.testing.assert_array_equal(x, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(y, [[2, 3, 4], [5, 6, 7]])
    xr, yr = lm_windows([[1, 2, 3], [4, 5, 6, 7]], window=3, reverse=True)
    np.testing.assert_array_equal(xr[0], [3, 2, 1])
    np.testing.assert_array_equal(yr[0], [2, 1, 7])
    with pytest.raises(ValueError, match="too few"):
        lm_windows([[1, 2]], window=5)


def test_lm_windows_map_rare_targets_to_unk_and_keep_inputs():
    x, y = lm_windows([[2, 9, 3, 8, 4]], window=4, num_targets=5)
    np.testing.assert_array_equal(x, [[2, 9, 3, 8]])  # inputs keep every id
    np.testing.assert_array_equal(y, [[1, 3, 1, 4]])  # 9 and 8 are not predicted: <unk> (1)
    assert y.dtype == np.int32
    _, y0 = lm_windows([[2, 9, 3]], window=2, num_targets=5, unk_id=0)
    np.testing.assert_array_equal(y0, [[0, 3]])
    with pytest.raises(ValueError, match="unk_id must be below num_targets"):
        lm_windows([[2, 9, 3]], window=2, num_targets=5, unk_id=5)
    with pytest.raises(ValueError, match="num_targets"):
        lm_windows([[2, 9, 3]], window=2, num_targets=0)


def test_word_lm_with_fewer_targets_predicts_only_those_and_transfers():
    lm = build_word_lm(VOCAB, embedding_dim=6, units=5, num_targets=7)
    x, y = lm_windows([np.arange(1, VOCAB)] * 8, window=6, num_targets=7)
    probs = _np(lm(x[:2]))
    assert probs.shape == (2, 6, 7)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
    lm.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    loss = lm.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    clf = build_classifier(VOCAB, embedding_dim=6, units=5, pooling="max_mean")
    assert transfer_lm_weights(clf, lm) == ["embedding", "rnn_1 (forward)"]
    with pytest.raises(ValueError, match="num_targets must be at most vocab_size"):
        build_word_lm(VOCAB, embedding_dim=6, units=5, num_targets=VOCAB + 1)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_transfer_copies_language_model_weights(bidirectional):
    fwd = build_word_lm(VOCAB, embedding_dim=6, units=5)
    bwd = build_word_lm(VOCAB, embedding_dim=6, units=5) if bidirectional else None
    x, y = lm_windows([np.arange(1, VOCAB)] * 8, window=6)
    fwd.compile("adam", "sparse_categorical_crossentropy")
    loss = fwd.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    clf = build_classifier(VOCAB, embedding_dim=6, units=5, bidirectional=bidirectional,
                           pooling="max_mean")
    copied = transfer_lm_weights(clf, fwd, bwd)
    assert copied[:2] == ["embedding", "rnn_1 (forward)"]
    layer = clf.get_layer("rnn_1")
    forward = layer.forward_layer if bidirectional else layer
    for a, b in zip(forward.get_weights(), fwd.get_layer("rnn_1").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    if bidirectional:
        for a, b in zip(layer.backward_layer.get_weights(), bwd.get_layer("rnn_1").get_weights(),
                        strict=True):
            np.testing.assert_array_equal(a, b)
    wrong = build_classifier(VOCAB, embedding_dim=6, units=7)
    with pytest.raises(ValueError, match="rnn_1 \\(forward\\) shapes differ"):
        transfer_lm_weights(wrong, fwd)


def test_pooled_classifier_saves_and_reloads(tmp_path):
    model = build_classifier(VOCAB, embedding_dim=6, units=5, bidirectional=True,
                             pooling="max_mean", embedding_dropout=0.1, dropout=0.2)
    ids = np.array([[5, 9, 2, 7, 0, 0], [4, 0, 0, 0, 0, 0]], np.int32)
    path = tmp_path / "pooled.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert reloaded.get_layer("pooling").modes == ("max", "mean")
    np.testing.assert_allclose(_np(reloaded(ids)), _np(model(ids)), atol=1e-6)


def _tanh_of_embedding(values):
    """ids -> h_t = tanh(values[id_t]): a one-unit SimpleRNN with weight 1 and no recurrence."""
    ids = keras.Input(shape=(None,), dtype="int32")
    emb = keras.layers.Embedding(len(values), 1, mask_zero=True,
                                 embeddings_initializer=keras.initializers.Constant(0.0))
    rnn = keras.layers.SimpleRNN(1, return_sequences=True, name="rnn_1")
    model = keras.Model(ids, rnn(emb(ids)))
    emb.set_weights([np.array(values, np.float32)[:, None]])
    rnn.set_weights([np.ones((1, 1)), np.zeros((1, 1)), np.zeros(1)])
    return model


def test_saturated_share_counts_real_tokens_only():
    # id 0 (padding) would be saturated (tanh 9 = 1.0) but is not counted; tanh 0.1 = 0.0997,
    # tanh 5 = 0.9999: 4 of the 5 real tokens are beyond 0.9
    model = _tanh_of_embedding([9.0, 0.1, 5.0])
    ids = np.array([[1, 2, 0], [2, 2, 2]], np.int32)
    assert saturated_share(model, ids) == pytest.approx(0.8)
    assert saturated_share(model, ids, threshold=0.99999) == pytest.approx(0.0)


def test_saturated_share_rejects_bad_input():
    model = _tanh_of_embedding([0.0, 0.1, 5.0])
    with pytest.raises(ValueError, match=r"ids must be \[batch, time\]"):
        saturated_share(model, np.array([1, 2]))
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        saturated_share(model, np.array([[1, 2]]), threshold=1.0)
    last_state = build_classifier(VOCAB, embedding_dim=4, units=3)  # rnn_1 returns [B, units]
    with pytest.raises(ValueError, match="needs return_sequences=True"):
        saturated_share(last_state, np.array([[1, 2]]))
