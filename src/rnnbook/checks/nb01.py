"""Checks for the exercises of notebook 01 (RNNs from scratch).

Each check runs the learner's function on fixed inputs and compares it with the reference answer
computed by :mod:`rnnbook.scratch` (or built with Keras). On a mismatch it raises
:class:`~rnnbook.checks.ExerciseCheckFailed` naming the case and what differs, plus a hint when
the answer matches a common mistake (a missing ``tanh``, the wrong gate order, ...).

The public ``check_*`` functions return what the cells below the exercise use: the learner's
function when it passes, else the reference (with one line saying so; see
:func:`~rnnbook.checks.use_if_solved`), so ``rnn_step = nb01.check_rnn_step(rnn_step)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rnnbook import scratch
from rnnbook.checks._framework import (
    Case,
    ExerciseCheckFailed,
    exercise_check,
    expect_close,
    expect_equal,
    passed,
    run_learner,
)

__all__ = [
    "check_rnn_step",
    "check_bptt_bias_and_h0",
    "check_lstm_step",
    "check_rnn_layer_params",
    "check_build_recall_model",
]

_RTOL, _ATOL = 1e-5, 1e-6  # loose enough for float32 answers, far tighter than any mistake


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _matches(got: Any, candidate: Any) -> bool:
    """True if ``got`` equals ``candidate`` within the check tolerance (any structure)."""
    try:
        expect_close("hint", got, candidate, rtol=_RTOL, atol=_ATOL)
    except ExerciseCheckFailed:
        return False
    except Exception:  # noqa: BLE001 - a malformed answer simply matches no known mistake
        return False
    return True


def _compare_with_hints(
    label: str, got: Any, expected: Any, mistakes: Sequence[tuple[str, Any]] = (),
    parts: Sequence[str] = (),
) -> None:
    """:func:`expect_close`; on failure add the hint of the first known mistake ``got`` matches.

    With ``parts`` (names such as ``("h_t", "c_t")``) ``expected`` is a tuple of that many arrays
    and ``got`` must be a tuple or list of the same length; each part is named in the message.
    """
    try:
        if parts:
            if not isinstance(got, tuple | list) or len(got) != len(parts):
                what = (f"{type(got).__name__} of {len(got)} items"
                        if isinstance(got, tuple | list) else type(got).__name__)
                raise ExerciseCheckFailed(
                    f"{label}: expected a tuple ({', '.join(parts)}), got {what}")
            for name, g, e in zip(parts, got, expected, strict=True):
                expect_close(f"{label} ({name})", g, e, rtol=_RTOL, atol=_ATOL)
        else:
            expect_close(label, got, expected, rtol=_RTOL, atol=_ATOL)
    except ExerciseCheckFailed as failure:
        for hint, candidate in mistakes:
            if _matches(got, candidate):
                raise ExerciseCheckFailed(f"{failure}\nHint: {hint}") from None
        raise


# ------------------------------------------------------------------ exercise 1: the RNN step
def reference_rnn_step(
    x_t: np.ndarray, h_prev: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
    bias: np.ndarray, *, activation: str = "tanh",
) -> np.ndarray:
    """One SimpleRNN step in Keras layout, computed by :func:`rnnbook.scratch.rnn_forward`."""
    params = scratch.simple_rnn_from_keras([kernel, recurrent_kernel, bias])
    rows = []
    for x_row, h_row in zip(x_t, h_prev, strict=True):
        params.h0 = np.asarray(h_row, np.float64)
        rows.append(scratch.rnn_forward(params, x_row[None, None], activation=activation).hs[0, 1])
    return np.stack(rows)


def _step_cases(specs: Sequence[tuple[str, int, int, int, int]], *, gates: int,
                h_scale: float, cell_state: bool) -> list[Case]:
    """Random inputs of one recurrent step in Keras layout, one case per
    ``(name, batch, inputs, units, seed)``: ``x_t``, ``h_prev`` (times ``h_scale``), ``c_prev``
    when ``cell_state``, then ``kernel``, ``recurrent_kernel`` and ``bias`` of ``gates`` blocks."""
    cases = []
    for name, batch, inputs, units, seed in specs:
        rng = _rng(seed)
        x_t = rng.standard_normal((batch, inputs))
        states = [h_scale * rng.standard_normal((batch, units))]
        if cell_state:
            states.append(rng.standard_normal((batch, units)))
        width = gates * units
        cases.append(Case(name, (
            x_t,
            *states,
            rng.standard_normal((inputs, width)),
            rng.standard_normal((units, width)),
            rng.standard_normal(width),
        )))
    return cases


def _rnn_step_cases() -> list[Case]:
    return _step_cases([
        ("batch of 3, 2 inputs, 4 units", 3, 2, 4, 0),
        ("one example, 5 inputs, 3 units", 1, 5, 3, 1),
        ("batch of 4, 3 inputs, 6 units", 4, 3, 6, 2),
    ], gates=1, h_scale=0.8, cell_state=False)


@exercise_check("reference_rnn_step", what="reference rnn_step")
def check_rnn_step(rnn_step: Callable[..., Any]) -> Any:
    """``rnn_step(x_t [B, X], h_prev [B, H], kernel [X, H], recurrent_kernel [H, H], bias [H])``
    must return ``h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)`` ``[B, H]``."""
    exercise = "rnn_step"
    for case in _rnn_step_cases():
        got = run_learner(rnn_step, *case.args, case=case.name)
        x_t, h_prev, kernel, recurrent, bias = case.args
        expected = reference_rnn_step(*case.args)
        linear = reference_rnn_step(*case.args, activation="linear")
        mistakes = [
            ("the values equal the pre-activation: apply np.tanh to it.", linear),
            ("the values are tanh without the bias: add `bias` before the tanh.",
             reference_rnn_step(x_t, h_prev, kernel, recurrent, 0 * bias)),
            ("the values ignore h_prev: the recurrent term `h_prev @ recurrent_kernel` is "
             "missing.", reference_rnn_step(x_t, 0 * h_prev, kernel, recurrent, bias)),
            ("this is a sigmoid, not a tanh.", 1.0 / (1.0 + np.exp(-linear))),
        ]
        _compare_with_hints(f"{exercise}, case {case.name!r}", got, expected, mistakes)
    passed(exercise, "3 cases")


# ------------------------------------------------------------------ exercise 2: BPTT for b, h0
def reference_bptt_bias_and_h0(
    params: scratch.RNNParams, x: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(∂L/∂b, ∂L/∂h0)`` from :func:`rnnbook.scratch.rnn_loss_and_grads`."""
    _, grads = scratch.rnn_loss_and_grads(params, x, targets)
    return grads.b, grads.h0


def _bptt_cases() -> list[Case]:
    cases = []
    for name, steps, inputs, units, classes, seed in [
        ("one time step", 1, 3, 4, 5, 10),
        ("7 time steps", 7, 3, 4, 5, 11),
        ("12 time steps, 6 units", 12, 2, 6, 3, 12),
    ]:
        params = scratch.RNNParams.init(inputs, units, classes, scale=0.6, seed=seed)
        rng = _rng(seed + 100)
        params.b = 0.3 * rng.standard_normal(units)
        params.h0 = 0.5 * rng.standard_normal(units)
        x = rng.standard_normal((steps, inputs))
        targets = rng.integers(0, classes, steps)
        cases.append(Case(name, (params, x, targets)))
    return cases


@exercise_check("reference_bptt_bias_and_h0", what="reference bptt_bias_and_h0")
def check_bptt_bias_and_h0(bptt_bias_and_h0: Callable[..., Any]) -> Any:
    """``bptt_bias_and_h0(params, x [T, X], targets [T])`` must return ``(∂L/∂b, ∂L/∂h0)``
    (each ``[H]``) for the mean cross-entropy loss of :func:`rnnbook.scratch.rnn_loss`."""
    exercise = "bptt_bias_and_h0"
    single_step_ok = False
    for case in _bptt_cases():
        got = run_learner(bptt_bias_and_h0, *case.args, case=case.name)
        grad_b, grad_h0 = expected = reference_bptt_bias_and_h0(*case.args)
        steps = len(case.args[1])
        label = f"{exercise}, case {case.name!r}"
        try:
            _compare_with_hints(label, got, expected, [
                (f"your gradients are {steps}× too large: the loss is the MEAN over the {steps} "
                 "time steps, so divide dL/dlogits by T.", (steps * grad_b, steps * grad_h0)),
            ], parts=("grad_b", "grad_h0"))
        except ExerciseCheckFailed as failure:
            if steps == 1 or not single_step_ok or "Hint:" in str(failure):
                raise
            raise ExerciseCheckFailed(
                f"{failure}\nHint: correct for one time step but not for longer sequences: the "
                "gradient must also flow back from step t+1 into h_t (add dh_next = da @ W_hh, "
                "with W_hh = params.W[:, :H], to dh at each step)."
            ) from None
        single_step_ok = single_step_ok or steps == 1
    passed(exercise, "3 cases")


# ------------------------------------------------------------------ exercise 3: the LSTM step
def reference_lstm_step(
    x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, kernel: np.ndarray,
    recurrent_kernel: np.ndarray, bias: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(h_t, c_t)`` of one LSTM step, from :func:`rnnbook.scratch.lstm_forward`."""
    params = scratch.LSTMParams(np.asarray(kernel, np.float64),
                                np.asarray(recurrent_kernel, np.float64),
                                np.asarray(bias, np.float64))
    _, (h, c) = scratch.lstm_forward(params, np.asarray(x_t)[:, None, :], h_prev, c_prev)
    return h, c


def _permute_gates(arrays: Sequence[np.ndarray], order: Sequence[int]) -> list[np.ndarray]:
    """Reorder the four gate blocks along the last axis of each array."""
    return [np.concatenate([np.split(a, 4, axis=-1)[k] for k in order], axis=-1) for a in arrays]


def _lstm_cases() -> list[Case]:
    return _step_cases([
        ("batch of 2, 3 inputs, 4 units", 2, 3, 4, 20),
        ("one example, 1 input, 2 units", 1, 1, 2, 21),
        ("batch of 3, 5 inputs, 3 units", 3, 5, 3, 22),
    ], gates=4, h_scale=0.7, cell_state=True)


@exercise_check("reference_lstm_step", what="reference lstm_step")
def check_lstm_step(lstm_step: Callable[..., Any]) -> Any:
    """``lstm_step(x_t, h_prev, c_prev, kernel [X, 4H], recurrent_kernel [H, 4H], bias [4H])``
    must return ``(h_t, c_t)`` with Keras' gate order i, f, c, o."""
    exercise = "lstm_step"
    for case in _lstm_cases():
        got = run_learner(lstm_step, *case.args, case=case.name)
        x_t, h_prev, c_prev, *weights = case.args
        expected = reference_lstm_step(*case.args)
        mistakes = [
            (f"this is the LSTM with gates taken in the order {label}; Keras packs the four "
             "blocks of kernel, recurrent_kernel and bias as i, f, c, o (input, forget, "
             "candidate, output).",
             reference_lstm_step(x_t, h_prev, c_prev, *_permute_gates(weights, order)))
            for label, order in [("i, c, f, o", (0, 2, 1, 3)), ("i, f, o, c", (0, 1, 3, 2)),
                                 ("f, i, c, o", (1, 0, 2, 3))]
        ]
        h_exp, c_exp = expected
        params = scratch.LSTMParams(*(np.asarray(w, np.float64) for w in weights))
        _, _, gates = scratch.gated.lstm_step(params, x_t, h_prev, c_prev)
        mistakes += [
            ("(h_t, c_t) come back swapped: return h_t first, then c_t.", (c_exp, h_exp)),
            ("h_t should be o * tanh(c_t), not o * c_t.", (gates["o"] * c_exp, c_exp)),
        ]
        _compare_with_hints(f"{exercise}, case {case.name!r}", got, expected, mistakes,
                            parts=("h_t", "c_t"))
    passed(exercise, "3 cases")


# ------------------------------------------------------------------ exercise 4: parameter counts
_COUNTS: dict[str, Callable[[int, int], int]] = {
    "SimpleRNN": scratch.simple_rnn_param_count,
    "LSTM": scratch.lstm_param_count,
    "GRU": scratch.gru_param_count,
}
_PARAM_CASES = [
    ("SimpleRNN", 16, 8, False),
    ("LSTM", 32, 10, False),
    ("GRU", 32, 10, False),
    ("SimpleRNN", 5, 1, True),
    ("LSTM", 64, 300, True),
    ("GRU", 8, 3, True),
]


def reference_rnn_layer_params(cell: str, units: int, input_dim: int,
                               bidirectional: bool = False) -> int:
    """Parameters of a Keras ``cell`` layer (GRU with ``reset_after=True``), doubled if wrapped
    in ``Bidirectional``; counts from :mod:`rnnbook.scratch`."""
    return _COUNTS[cell](units, input_dim) * (2 if bidirectional else 1)


@exercise_check("reference_rnn_layer_params", what="reference rnn_layer_params")
def check_rnn_layer_params(rnn_layer_params: Callable[..., Any]) -> Any:
    """``rnn_layer_params(cell, units, input_dim, bidirectional=False)`` must return the number
    of parameters Keras reports for that layer (``cell`` in 'SimpleRNN', 'LSTM', 'GRU')."""
    exercise = "rnn_layer_params"
    for cell, units, inputs, bidirectional in _PARAM_CASES:
        call = (f"rnn_layer_params({cell!r}, units={units}, input_dim={inputs}, "
                f"bidirectional={bidirectional})")
        got = run_learner(rnn_layer_params, cell, units, inputs, bidirectional=bidirectional,
                          case=call)
        expected = reference_rnn_layer_params(cell, units, inputs, bidirectional)
        if isinstance(got, np.integer) or (
            isinstance(got, float | np.floating) and float(got).is_integer()
        ):
            got = int(got)
        copies = 2 if bidirectional else 1
        hints = [(reference_rnn_layer_params(cell, units, inputs),
                  "a Bidirectional layer holds two independent copies of the layer (forward "
                  "and backward), so twice the parameters.")]
        biases = {"SimpleRNN": 1, "LSTM": 4, "GRU": 6}[cell] * units * copies
        if cell == "GRU":
            hints.append((expected - 3 * units * copies,
                          "Keras' GRU defaults to reset_after=True, which has two bias vectors "
                          "(one for the input part, one for the recurrent part): 3·units more "
                          "parameters per direction."))
        hints.append((expected - biases, "the biases are missing: every gate has a bias per unit"
                      + (" (two per unit for Keras' GRU, reset_after=True)." if cell == "GRU"
                         else ".")))
        try:
            expect_equal(call, got, expected)
        except ExerciseCheckFailed as failure:
            hint = next((h for value, h in hints if got == value), None)
            if hint and got != expected:
                raise ExerciseCheckFailed(f"{failure}\nHint: {hint}") from None
            raise
    passed(exercise, f"{len(_PARAM_CASES)} cases")


# ------------------------------------------------------------ exercise 5: a model that recalls
RECALL_CELLS = ("tanh", "irnn", "lstm")


def reference_build_recall_model(cell: str, units: int) -> Any:
    """``Input((None, 1))`` → one recurrent layer → ``Dense(1, sigmoid)``: a tanh SimpleRNN
    (Keras' defaults), an IRNN (ReLU SimpleRNN with an identity recurrent kernel and zero bias, Le
    et al. 2015) or an LSTM, by ``cell``."""
    import keras

    layer = {
        "tanh": lambda: keras.layers.SimpleRNN(units, name="recurrent"),
        "irnn": lambda: keras.layers.SimpleRNN(
            units, activation="relu", recurrent_initializer=keras.initializers.Identity(),
            name="recurrent"),
        "lstm": lambda: keras.layers.LSTM(units, name="recurrent"),
    }[cell]()
    return keras.Sequential(
        [keras.Input((None, 1)), layer, keras.layers.Dense(1, activation="sigmoid")],
        name=f"recall_{cell}")


@exercise_check("reference_build_recall_model", what="reference build_recall_model")
def check_build_recall_model(build_recall_model: Callable[..., Any]) -> Any:
    """``build_recall_model(cell, units)`` for ``cell`` in :data:`RECALL_CELLS` returns an
    (uncompiled) Keras model ``[B, T, 1] -> [B, 1]`` with one recurrent layer of the right kind
    and a sigmoid output; for ``"irnn"`` a ReLU SimpleRNN whose recurrent kernel starts as the
    identity."""
    import keras

    exercise = "build_recall_model"
    x = np.random.default_rng(30).standard_normal((3, 7, 1)).astype("float32")
    kinds = {"tanh": keras.layers.SimpleRNN, "irnn": keras.layers.SimpleRNN,
             "lstm": keras.layers.LSTM}
    for cell in RECALL_CELLS:
        units = 6
        model = run_learner(build_recall_model, cell, units, case=f"cell={cell!r}")
        label = f"{exercise}({cell!r}, {units})"
        if not isinstance(model, keras.Model):
            raise ExerciseCheckFailed(
                f"{label}: expected a keras.Model, got {type(model).__name__}"
                + (" (missing `return`?)" if model is None else ""))
        try:
            out = keras.ops.convert_to_numpy(model(x))
        except Exception as error:  # noqa: BLE001 - any failure here is the learner's model
            raise ExerciseCheckFailed(
                f"{label}: the model fails on a batch of shape (3, 7, 1): "
                f"{type(error).__name__}: {str(error).splitlines()[0]}. Start it with "
                "keras.Input((None, 1)): any number of steps, one feature.") from None
        if out.shape != (3, 1):
            raise ExerciseCheckFailed(
                f"{label}: output shape {out.shape} on a batch of 3 sequences, expected (3, 1): "
                "one probability per sequence (the last state only, return_sequences=False)")
        if not ((out > 0) & (out < 1)).all():
            raise ExerciseCheckFailed(f"{label}: outputs must be probabilities in (0, 1): end "
                                      "with Dense(1, activation='sigmoid')")
        recurrent = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
        if len(recurrent) != 1:
            raise ExerciseCheckFailed(
                f"{label}: expected exactly one recurrent layer, found {len(recurrent)}")
        layer = recurrent[0]
        want = kinds[cell]
        if type(layer) is not want:
            raise ExerciseCheckFailed(f"{label}: the recurrent layer is a "
                                      f"{type(layer).__name__}, expected {want.__name__}")
        if layer.units != units:
            raise ExerciseCheckFailed(f"{label}: the layer has {layer.units} units, expected "
                                      f"{units}: use the `units` argument")
        if cell != "lstm":
            activation = keras.activations.serialize(layer.cell.activation)
            activation = activation if isinstance(activation, str) else activation.get(
                "config", {}).get("name", activation)
            expected = "relu" if cell == "irnn" else "tanh"
            if activation != expected:
                raise ExerciseCheckFailed(
                    f"{label}: activation {activation!r}, expected {expected!r}")
        if cell == "irnn":
            kernel = keras.ops.convert_to_numpy(layer.cell.recurrent_kernel)
            if not np.allclose(kernel, np.eye(units)):
                raise ExerciseCheckFailed(
                    f"{label}: the recurrent kernel must start as the identity matrix; pass "
                    "recurrent_initializer=keras.initializers.Identity()")
    passed(exercise, "tanh, IRNN and LSTM models have the right layers and shapes")
