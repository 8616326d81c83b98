"""Tests for rnnbook.scratch: Keras parity, BPTT, clipping, Jacobian norms, parameter counts."""

import keras
import numpy as np
import pytest

from rnnbook import scratch
from rnnbook.scratch import RNNParams

B, T, X, H, K = 2, 5, 3, 4, 6


def _x(seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((B, T, X)).astype(dtype)


def test_simple_rnn_matches_keras_both_directions():
    x = _x()
    layer = keras.layers.SimpleRNN(H, return_sequences=True)
    layer.build((None, T, X))
    params = scratch.simple_rnn_from_keras(layer)
    keras_out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(scratch.rnn_forward(params, x).hs[:, 1:], keras_out, atol=1e-5)

    mine = RNNParams.init(X, H, K, scale=0.5, seed=3)
    weights = scratch.simple_rnn_to_keras(mine, layer)
    assert [w.shape for w in weights] == [(X, H), (H, H), (H,)]
    keras_out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(scratch.rnn_forward(mine, x).hs[:, 1:], keras_out, atol=1e-5)


def test_simple_rnn_output_layer_copied_from_dense():
    x = _x(1)
    inp = keras.Input((T, X))
    rnn = keras.layers.SimpleRNN(H, return_sequences=True)
    dense = keras.layers.Dense(K, activation="softmax")
    model = keras.Model(inp, dense(rnn(inp)))
    params = scratch.simple_rnn_from_keras(rnn, dense)
    probs = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(scratch.rnn_forward(params, x).probs, probs, atol=1e-5)


def test_lstm_matches_keras():
    x = _x(2)
    layer = keras.layers.LSTM(H, return_sequences=True, return_state=True)
    layer.build((None, T, X))
    mine = scratch.LSTMParams.init(X, H, scale=0.5, seed=1)
    scratch.lstm_to_keras(mine, layer)
    seq, h_t, c_t = (keras.ops.convert_to_numpy(v) for v in layer(x))
    hs, (h, c) = scratch.lstm_forward(scratch.lstm_from_keras(layer), x)
    np.testing.assert_allclose(hs, seq, atol=1e-5)
    np.testing.assert_allclose(h, h_t, atol=1e-5)
    np.testing.assert_allclose(c, c_t, atol=1e-5)
    w_i, u_i, b_i = mine.gate("f")
    assert w_i.shape == (X, H) and u_i.shape == (H, H) and np.all(b_i == 1.0)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_keras(reset_after):
    x = _x(3)
    layer = keras.layers.GRU(H, return_sequences=True, reset_after=reset_after)
    layer.build((None, T, X))
    mine = scratch.GRUParams.init(X, H, scale=0.5, seed=2, reset_after=reset_after)
    scratch.gru_to_keras(mine, layer)
    copied = scratch.gru_from_keras(layer)
    assert copied.reset_after is reset_after
    assert copied.bias.shape == ((2, 3 * H) if reset_after else (3 * H,))
    hs, h_last = scratch.gru_forward(copied, x)
    np.testing.assert_allclose(hs, keras.ops.convert_to_numpy(layer(x)), atol=1e-5)
    np.testing.assert_allclose(h_last, hs[:, -1])


def test_param_counts_match_keras():
    for layer, expected in [
        (keras.layers.SimpleRNN(H), scratch.simple_rnn_param_count(H, X)),
        (keras.layers.LSTM(H), scratch.lstm_param_count(H, X)),
        (keras.layers.GRU(H), scratch.gru_param_count(H, X)),
        (keras.layers.GRU(H, reset_after=False), scratch.gru_param_count(H, X, reset_after=False)),
    ]:
        layer.build((None, T, X))
        assert layer.count_params() == expected
    assert scratch.simple_rnn_param_count(H, X) == H * (H + X) + H


def test_loss_equals_keras_crossentropy():
    params = RNNParams.init(X, H, K, scale=0.5, seed=0)
    x, y = _x(4, np.float64), np.random.default_rng(0).integers(0, K, (B, T))
    probs = scratch.rnn_forward(params, x).probs
    expected = keras.losses.SparseCategoricalCrossentropy()(y, probs.astype(np.float32))
    assert scratch.rnn_loss(params, x, y) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "linear", "relu"])
def test_bptt_matches_finite_differences(activation):
    params = RNNParams.init(X, H, K, scale=0.5, seed=5)
    params.b[:] = 0.1
    params.h0[:] = np.linspace(-0.3, 0.3, H)
    x, y = _x(5, np.float64), np.random.default_rng(5).integers(0, K, (B, T))
    errors = scratch.gradient_check(params, x, y, activation=activation)
    assert set(errors) == {"W", "b", "V", "c", "h0"}
    assert max(errors.values()) < 1e-6, errors


def test_bptt_detects_a_wrong_gradient():
    params = RNNParams.init(X, H, K, scale=0.5, seed=6)
    x, y = _x(6, np.float64)[0], np.arange(T) % K
    _, grads = scratch.rnn_loss_and_grads(params, x, y)
    numeric = scratch.numerical_gradient(lambda: scratch.rnn_loss(params, x, y), params.W)
    assert scratch.relative_error(grads.W, numeric) < 1e-6
    assert scratch.relative_error(grads.W * 1.01, numeric) > 1e-3


def test_clip_by_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = scratch.clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    assert scratch.global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    small, norm = scratch.clip_by_global_norm(grads, 10.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_array_equal(small["a"], grads["a"])
    as_list, _ = scratch.clip_by_global_norm([np.ones(4)], 1.0)
    assert isinstance(as_list, list) and scratch.global_norm(as_list) == pytest.approx(1.0)
    params = RNNParams.init(X, H, K)
    clipped_params, _ = scratch.clip_by_global_norm(params, 1e-3)
    assert isinstance(clipped_params, RNNParams)
    with pytest.raises(ValueError, match="max_norm"):
        scratch.clip_by_global_norm(grads, 0.0)


def _diag_rnn(w: float, steps: int = 6) -> tuple[RNNParams, np.ndarray]:
    params = RNNParams(W=np.hstack([w * np.eye(H), np.ones((H, X))]), b=np.zeros(H),
                       V=np.zeros((1, H)), c=np.zeros(1), h0=np.zeros(H))
    return params, np.random.default_rng(0).standard_normal((steps, X)) * 0.1


@pytest.mark.parametrize("w", [0.5, 2.0])
def test_jacobian_norms_linear_are_geometric(w):
    params, x = _diag_rnn(w)
    norms = scratch.hidden_jacobian_norms(params, x, activation="linear")
    steps = len(x)
    np.testing.assert_allclose(norms, w ** (steps - np.arange(steps + 1)))


def test_relu_forward_clips_at_zero_and_matches_keras():
    params = RNNParams.init(X, H, K, scale=0.8, seed=3)
    x = _x(3, np.float64)
    hs = scratch.rnn_forward(params, x, activation="relu").hs[:, 1:]
    assert hs.min() == 0.0 and (hs > 0).any()
    layer = keras.layers.SimpleRNN(H, activation="relu", return_sequences=True)
    layer.build((None, None, X))
    scratch.simple_rnn_to_keras(params, layer)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x.astype("float32"))), hs,
                               atol=1e-5)


def test_jacobian_norms_relu_identity_keep_norm_one_while_units_are_active():
    params, x = _diag_rnn(1.0)
    params.W[:, H:] = 0.0
    params.h0[:] = 1.0  # every unit stays at 1: the Jacobian is the identity at every step
    np.testing.assert_allclose(scratch.hidden_jacobian_norms(params, x, activation="relu"), 1.0)
    params.h0[:] = -1.0  # every unit is off from step 1: nothing flows back
    assert scratch.hidden_jacobian_norms(params, x, activation="relu")[0] == 0.0


def test_jacobian_norms_tanh_shrink_for_small_weights():
    params, x = _diag_rnn(0.5)
    norms = scratch.hidden_jacobian_norms(params, x)
    assert norms[-1] == pytest.approx(1.0)
    ratios = norms[:-1] / norms[1:]
    assert np.all(ratios <= 0.5 + 1e-12) and np.all(ratios > 0.3)


def test_lstm_jacobian_norms_match_finite_differences():
    params = scratch.LSTMParams.init(X, H, scale=0.8, seed=4)
    x = np.random.default_rng(1).standard_normal((T, X))
    norms = scratch.lstm_jacobian_norms(params, x, wrt="h")

    def states(upto):
        h, c = np.zeros((1, H)), np.zeros((1, H))
        for t in range(upto):
            h, c, _ = scratch.gated.lstm_step(params, x[t][None], h, c)
        return h, c

    t0 = 2
    h_t, c_t = states(t0)

    def h_final(h):
        hh, cc = h, c_t
        for t in range(t0, T):
            hh, cc, _ = scratch.gated.lstm_step(params, x[t][None], hh, cc)
        return hh[0]

    eps = 1e-6
    jac = np.empty((H, H))
    for j in range(H):
        d = np.zeros((1, H))
        d[0, j] = eps
        jac[:, j] = (h_final(h_t + d) - h_final(h_t - d)) / (2 * eps)
    assert norms[t0] == pytest.approx(np.linalg.norm(jac, 2), rel=1e-6)
    assert scratch.lstm_jacobian_norms(params, x, wrt="c").shape == (T + 1,)
    with pytest.raises(ValueError, match="wrt"):
        scratch.lstm_jacobian_norms(params, x, wrt="q")


def test_bad_shapes_raise():
    params = RNNParams.init(X, H, K)
    with pytest.raises(ValueError, match="x must have shape"):
        scratch.rnn_forward(params, np.zeros((T, X + 1)))
    with pytest.raises(ValueError, match="targets"):
        scratch.rnn_loss(params, np.zeros((T, X)), np.zeros(T + 1, int))
    with pytest.raises(ValueError, match="activation"):
        scratch.rnn_forward(params, np.zeros((T, X)), activation="sigmoid")
    with pytest.raises(ValueError, match="bias"):
        scratch.GRUParams(np.zeros((X, 3 * H)), np.zeros((H, 3 * H)), np.zeros(3 * H))
