"""Tests for rnnbook.checks.nb01: each check passes a correct answer, and fails the stub and
plausible wrong answers with a message that says what differs."""

import numpy as np
import pytest
from conftest import stub

from rnnbook import scratch
from rnnbook.checks import ExerciseCheckFailed, nb01

STUB_MESSAGE = "you have not written this yet"


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ------------------------------------------------------------------ rnn_step
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def test_rnn_step_passes(capsys):
    nb01.check_rnn_step(rnn_step)
    assert capsys.readouterr().out == "✓ rnn_step: correct (3 cases)\n"


def test_rnn_step_float32_answer_passes():
    nb01.check_rnn_step(lambda x, h, k, r, b: rnn_step(x, h, k, r, b).astype(np.float32))


def test_rnn_step_stub():
    with pytest.raises(ExerciseCheckFailed, match=f"stub: {STUB_MESSAGE}"):
        nb01.check_rnn_step(stub)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda x, h, k, r, b: x @ k + h @ r + b, "apply np.tanh"),
        (lambda x, h, k, r, b: np.tanh(x @ k + h @ r), "without the bias"),
        (lambda x, h, k, r, b: np.tanh(x @ k + b), "missing"),
        (lambda x, h, k, r, b: sigmoid(x @ k + h @ r + b), "sigmoid, not a tanh"),
    ],
)
def test_rnn_step_common_mistakes_get_hints(wrong, hint):
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_rnn_step(wrong)
    msg = str(info.value)
    assert msg.startswith("rnn_step, case 'batch of 3, 2 inputs, 4 units': values differ")
    assert "largest absolute difference" in msg and hint in msg


def test_rnn_step_wrong_shape_and_other_errors():
    with pytest.raises(ExerciseCheckFailed, match=r"wrong shape: expected \(3, 4\), got \(4, 3\)"):
        nb01.check_rnn_step(lambda x, h, k, r, b: rnn_step(x, h, k, r, b).T)
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_rnn_step(lambda x, h, k, r, b: np.tanh(x @ k + h @ r.T + b))
    assert "values differ" in str(info.value) and "Hint" not in str(info.value)
    with pytest.raises(ExerciseCheckFailed, match="forget to `return`"):
        nb01.check_rnn_step(lambda *args: None)


# ------------------------------------------------------------------ bptt_bias_and_h0
def bptt_bias_and_h0(params, x, targets, *, mean=True, recurrent=True):
    fwd = scratch.rnn_forward(params, x)
    hs, probs = fwd.hs[0], fwd.probs[0]
    steps, hidden = len(x), params.hidden_size
    d_logits = probs.copy()
    d_logits[np.arange(steps), targets] -= 1
    if mean:
        d_logits /= steps
    grad_b = np.zeros(hidden)
    dh_next = np.zeros(hidden)
    for t in reversed(range(steps)):
        dh = d_logits[t] @ params.V + (dh_next if recurrent else 0)
        da = dh * (1 - hs[t + 1] ** 2)
        grad_b += da
        dh_next = da @ params.W[:, :hidden]
    return grad_b, dh_next


def test_bptt_passes(capsys):
    nb01.check_bptt_bias_and_h0(bptt_bias_and_h0)
    nb01.check_bptt_bias_and_h0(lambda *a: list(bptt_bias_and_h0(*a)))
    assert capsys.readouterr().out == "✓ bptt_bias_and_h0: correct (3 cases)\n" * 2


def test_bptt_stub():
    with pytest.raises(ExerciseCheckFailed, match=f"stub: {STUB_MESSAGE}"):
        nb01.check_bptt_bias_and_h0(stub)


def test_bptt_sum_instead_of_mean():
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_bptt_bias_and_h0(lambda p, x, y: bptt_bias_and_h0(p, x, y, mean=False))
    msg = str(info.value)
    # one time step: sum and mean agree, so the 7-step case is the first to fail
    assert msg.startswith("bptt_bias_and_h0, case '7 time steps' (grad_b): values differ")
    assert "values differ" in msg and "7× too large" in msg and "MEAN" in msg


def test_bptt_missing_recurrence():
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_bptt_bias_and_h0(lambda p, x, y: bptt_bias_and_h0(p, x, y, recurrent=False))
    msg = str(info.value)
    assert "case '7 time steps' (grad_b): values differ" in msg
    assert "correct for one time step but not for longer sequences" in msg


def test_bptt_wrong_structure():
    message = r"expected a tuple \(grad_b, grad_h0\), got ndarray"
    with pytest.raises(ExerciseCheckFailed, match=message):
        nb01.check_bptt_bias_and_h0(lambda p, x, y: bptt_bias_and_h0(p, x, y)[0])


# ------------------------------------------------------------------ lstm_step
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=-1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_c)
    return sigmoid(a_o) * np.tanh(c), c


def test_lstm_step_passes(capsys):
    nb01.check_lstm_step(lstm_step)
    assert capsys.readouterr().out == "✓ lstm_step: correct (3 cases)\n"


def test_lstm_step_stub():
    with pytest.raises(ExerciseCheckFailed, match=f"stub: {STUB_MESSAGE}"):
        nb01.check_lstm_step(stub)


def lstm_gate_order_icfo(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_c, a_f, a_o = np.split(a, 4, axis=-1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_c)
    return sigmoid(a_o) * np.tanh(c), c


def lstm_no_tanh_on_c(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=-1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_c)
    return sigmoid(a_o) * c, c


@pytest.mark.parametrize(
    "wrong, where, hint",
    [
        (lstm_gate_order_icfo, "lstm_step, case 'batch of 2, 3 inputs, 4 units' (h_t)",
         "order i, c, f, o; Keras packs"),
        (lambda *a: lstm_step(*a)[::-1], "(h_t): values differ", "come back swapped"),
        (lstm_no_tanh_on_c, "(h_t): values differ", "not o * c_t"),
    ],
)
def test_lstm_step_common_mistakes_get_hints(wrong, where, hint):
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_lstm_step(wrong)
    msg = str(info.value)
    assert where in msg and hint in msg


def test_lstm_step_returns_one_array():
    with pytest.raises(ExerciseCheckFailed, match=r"expected a tuple \(h_t, c_t\), got ndarray"):
        nb01.check_lstm_step(lambda *a: lstm_step(*a)[0])


def test_lstm_step_cell_state_wrong():
    def forgot_forget_gate(*args):
        h, c = lstm_step(*args)
        return h, c + 1.0

    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_lstm_step(forgot_forget_gate)
    msg = str(info.value)
    assert msg.startswith("lstm_step, case 'batch of 2, 3 inputs, 4 units' (c_t): values differ")
    assert "Hint" not in msg


# ------------------------------------------------------------------ rnn_layer_params
def rnn_layer_params(cell, units, input_dim, bidirectional=False):
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cell]
    count = gates * (units * (units + input_dim) + units) + (3 * units if cell == "GRU" else 0)
    return count * (2 if bidirectional else 1)


def test_param_count_passes(capsys):
    nb01.check_rnn_layer_params(rnn_layer_params)
    nb01.check_rnn_layer_params(lambda *a, **k: np.int64(rnn_layer_params(*a, **k)))
    nb01.check_rnn_layer_params(lambda *a, **k: float(rnn_layer_params(*a, **k)))
    assert capsys.readouterr().out == "✓ rnn_layer_params: correct (6 cases)\n" * 3


def test_param_count_matches_keras():
    keras = pytest.importorskip("keras")
    for cell, units, inputs, bidirectional in nb01._PARAM_CASES:
        layer = getattr(keras.layers, cell)(units)
        if bidirectional:
            layer = keras.layers.Bidirectional(layer)
        layer.build((None, 5, inputs))
        assert layer.count_params() == rnn_layer_params(cell, units, inputs, bidirectional)


def test_param_count_stub():
    with pytest.raises(ExerciseCheckFailed, match=f"stub: {STUB_MESSAGE}"):
        nb01.check_rnn_layer_params(stub)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda c, u, x, bidirectional=False: rnn_layer_params(c, u, x),
         r"rnn_layer_params\('SimpleRNN', units=5, input_dim=1, bidirectional=True\): expected "
         r"70, got 35\nHint: a Bidirectional layer holds two"),
        (lambda c, u, x, bidirectional=False: rnn_layer_params(c, u, x, bidirectional)
         - (3 * u * (2 if bidirectional else 1) if c == "GRU" else 0),
         r"rnn_layer_params\('GRU', units=32, input_dim=10, bidirectional=False\): expected "
         r"4224, got 4128\nHint: Keras' GRU defaults to reset_after=True"),
        (lambda c, u, x, bidirectional=False: rnn_layer_params(c, u, x, bidirectional)
         - u * (2 if bidirectional else 1),
         r"rnn_layer_params\('SimpleRNN', units=16, input_dim=8, bidirectional=False\): expected "
         r"400, got 384\nHint: the biases are missing"),
        (lambda c, u, x, bidirectional=False: rnn_layer_params(c, u, x, bidirectional) + 1,
         r"expected 400, got 401$"),
    ],
)
def test_param_count_wrong_answers(wrong, message):
    with pytest.raises(ExerciseCheckFailed, match=message):
        nb01.check_rnn_layer_params(wrong)


# ------------------------------------------------------------------ build_recall_model
def test_build_recall_model_reference_passes(capsys):
    assert nb01.check_build_recall_model(nb01.reference_build_recall_model) is (
        nb01.reference_build_recall_model)
    assert capsys.readouterr().out.startswith("✓ build_recall_model: correct")


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda cell, units: None, "expected a keras.Model"),
        (lambda cell, units: _recall(cell, units, sequences=True), "output shape (3, 7, 1)"),
        (lambda cell, units: _recall(cell, units, output="linear"), "probabilities in (0, 1)"),
        (lambda cell, units: _recall("tanh", units), "activation 'tanh', expected 'relu'"),
        (lambda cell, units: _recall(cell, units, identity=False), "identity matrix"),
        (lambda cell, units: _recall(cell, 4), "4 units, expected 6"),
        (lambda cell, units: _recall("lstm" if cell == "tanh" else cell, units),
         "is a LSTM, expected SimpleRNN"),
    ],
)
def test_build_recall_model_mistakes_are_named(wrong, message):
    with pytest.raises(ExerciseCheckFailed) as info:
        nb01.check_build_recall_model(wrong)
    assert message in str(info.value)


def _recall(cell, units, *, sequences=False, output="sigmoid", identity=True):
    import keras

    if cell == "lstm":
        layer = keras.layers.LSTM(units, return_sequences=sequences)
    else:
        init = keras.initializers.Identity() if (cell == "irnn" and identity) else "orthogonal"
        layer = keras.layers.SimpleRNN(units, activation="relu" if cell == "irnn" else "tanh",
                                       recurrent_initializer=init, return_sequences=sequences)
    return keras.Sequential([keras.Input((None, 1)), layer,
                             keras.layers.Dense(1, activation=output)])


# ------------------------------------------------------------------ answer or reference
@pytest.mark.parametrize("name", ["rnn_step", "bptt_bias_and_h0", "lstm_step",
                                  "rnn_layer_params", "build_recall_model"])
def test_unsolved_exercise_returns_the_reference_and_says_so(name, monkeypatch, capsys):
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS")
    got = getattr(nb01, f"check_{name}")(stub)
    assert got is getattr(nb01, f"reference_{name}")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✗ stub: you have not written this yet")
    assert out[1] == (f"→ The cells below use the library's reference ({name}) until this check "
                      "passes.")


def test_solved_exercise_returns_the_learners_function():
    assert nb01.check_rnn_step(rnn_step) is rnn_step


def test_reference_functions_pass_their_own_checks():
    assert nb01.check_lstm_step(nb01.reference_lstm_step) is nb01.reference_lstm_step
    assert nb01.check_bptt_bias_and_h0(nb01.reference_bptt_bias_and_h0) is (
        nb01.reference_bptt_bias_and_h0)
    assert nb01.check_rnn_layer_params(nb01.reference_rnn_layer_params) is (
        nb01.reference_rnn_layer_params)
