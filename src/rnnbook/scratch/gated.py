"""LSTM and GRU forward passes in NumPy, written from the gate equations.

Weights use the Keras layout so they can be copied both ways (see ``keras_weights``):
``kernel`` ``[X, G*H]``, ``recurrent_kernel`` ``[H, G*H]`` with the gates side by side,

- LSTM (``G = 4``, gate order i, f, c, o), ``bias`` ``[4H]``::

      i = σ(x W_i + h U_i + b_i)    f = σ(x W_f + h U_f + b_f)    o = σ(x W_o + h U_o + b_o)
      c_t = f ⊙ c_{t-1} + i ⊙ tanh(x W_c + h U_c + b_c)            h_t = o ⊙ tanh(c_t)

- GRU (``G = 3``, gate order z, r, h). With ``reset_after=True`` (Keras' default) ``bias`` is
  ``[2, 3H]``: row 0 is added to the input part, row 1 to the recurrent part::

      z = σ(x W_z + b_z + h U_z + b'_z)    r = σ(x W_r + b_r + h U_r + b'_r)
      ĥ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h))     h_t = z ⊙ h_{t-1} + (1 - z) ⊙ ĥ

  With ``reset_after=False`` the bias is ``[3H]`` and ``ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnbook.scratch.rnn import _as_batch

__all__ = [
    "LSTMParams",
    "GRUParams",
    "lstm_forward",
    "gru_forward",
    "lstm_param_count",
    "gru_param_count",
    "lstm_jacobian_norms",
    "sigmoid",
]

LSTM_GATES = ("i", "f", "c", "o")
GRU_GATES = ("z", "r", "h")


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _check_shapes(name: str, kernel: np.ndarray, recurrent: np.ndarray, gates: int) -> int:
    if kernel.ndim != 2 or recurrent.ndim != 2 or recurrent.shape[1] != gates * recurrent.shape[0]:
        raise ValueError(f"{name}: expected kernel [X, {gates}H] and recurrent_kernel "
                         f"[H, {gates}H], got {kernel.shape} and {recurrent.shape}")
    if kernel.shape[1] != recurrent.shape[1]:
        raise ValueError(f"{name}: kernel {kernel.shape} and recurrent_kernel {recurrent.shape} "
                         "disagree on the gate dimension")
    return int(recurrent.shape[0])


@dataclass
class LSTMParams:
    """LSTM weights in Keras layout: kernel ``[X, 4H]``, recurrent ``[H, 4H]``, bias ``[4H]``."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        h = _check_shapes("LSTMParams", self.kernel, self.recurrent_kernel, 4)
        if self.bias.shape != (4 * h,):
            raise ValueError(f"LSTMParams: bias must have shape ({4 * h},), got {self.bias.shape}")

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])

    def gate(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W, U, b)`` of gate ``name`` in ``('i', 'f', 'c', 'o')``."""
        k = LSTM_GATES.index(name)
        s = slice(k * self.units, (k + 1) * self.units)
        return self.kernel[:, s], self.recurrent_kernel[:, s], self.bias[s]

    @classmethod
    def init(cls, input_size: int, units: int, *, scale: float = 0.1, seed: int | None = 0,
             forget_bias: float = 1.0) -> LSTMParams:
        """Random Gaussian weights; forget-gate bias ``forget_bias`` (Keras' unit_forget_bias)."""
        rng = np.random.default_rng(seed)
        bias = np.zeros(4 * units)
        bias[units : 2 * units] = forget_bias
        return cls(scale * rng.standard_normal((input_size, 4 * units)),
                   scale * rng.standard_normal((units, 4 * units)), bias)


@dataclass
class GRUParams:
    """GRU weights in Keras layout; bias ``[2, 3H]`` if ``reset_after`` else ``[3H]``."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    reset_after: bool = True

    def __post_init__(self) -> None:
        h = _check_shapes("GRUParams", self.kernel, self.recurrent_kernel, 3)
        want = (2, 3 * h) if self.reset_after else (3 * h,)
        if self.bias.shape != want:
            raise ValueError(f"GRUParams: bias must have shape {want} for "
                             f"reset_after={self.reset_after}, got {self.bias.shape}")

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])

    @classmethod
    def init(cls, input_size: int, units: int, *, scale: float = 0.1, seed: int | None = 0,
             reset_after: bool = True) -> GRUParams:
        rng = np.random.default_rng(seed)
        bias_shape = (2, 3 * units) if reset_after else (3 * units,)
        return cls(scale * rng.standard_normal((input_size, 3 * units)),
                   scale * rng.standard_normal((units, 3 * units)),
                   scale * rng.standard_normal(bias_shape), reset_after)


def _initial(state: np.ndarray | None, batch: int, units: int, dtype: np.dtype) -> np.ndarray:
    if state is None:
        return np.zeros((batch, units), dtype)
    return np.broadcast_to(np.asarray(state, dtype), (batch, units)).copy()


def lstm_step(params: LSTMParams, x_t: np.ndarray, h: np.ndarray, c: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step; returns ``(h_t, c_t, gates)`` with the activated gates i, f, g, o."""
    a = x_t @ params.kernel + h @ params.recurrent_kernel + params.bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=-1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_c), sigmoid(a_o)
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new, {"i": i, "f": f, "g": g, "o": o}


def lstm_forward(
    params: LSTMParams, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Run an LSTM over ``x`` ``[B, T, X]`` (or ``[T, X]``): ``(hs [B, T, H], (h_T, c_T))``."""
    x = _as_batch(x, params.kernel.shape[0])
    dtype = np.result_type(params.kernel, x)
    h = _initial(h0, x.shape[0], params.units, dtype)
    c = _initial(c0, x.shape[0], params.units, dtype)
    hs = []
    for t in range(x.shape[1]):
        h, c, _ = lstm_step(params, x[:, t], h, c)
        hs.append(h)
    return np.stack(hs, axis=1), (h, c)


def gru_step(params: GRUParams, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One GRU step (see the module docstring for the equations)."""
    units = params.units
    W_z, W_r, W_h = np.split(params.kernel, 3, axis=-1)
    U_z, U_r, U_h = np.split(params.recurrent_kernel, 3, axis=-1)
    if params.reset_after:
        b_in, b_rec = params.bias[0], params.bias[1]
    else:
        b_in, b_rec = params.bias, np.zeros(3 * units, params.bias.dtype)
    bi_z, bi_r, bi_h = np.split(b_in, 3)
    br_z, br_r, br_h = np.split(b_rec, 3)
    z = sigmoid(x_t @ W_z + bi_z + h @ U_z + br_z)
    r = sigmoid(x_t @ W_r + bi_r + h @ U_r + br_r)
    if params.reset_after:
        h_hat = np.tanh(x_t @ W_h + bi_h + r * (h @ U_h + br_h))
    else:
        h_hat = np.tanh(x_t @ W_h + (r * h) @ U_h + bi_h)
    return z * h + (1.0 - z) * h_hat


def gru_forward(params: GRUParams, x: np.ndarray, h0: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Run a GRU over ``x`` ``[B, T, X]`` (or ``[T, X]``): ``(hs [B, T, H], h_T)``."""
    x = _as_batch(x, params.kernel.shape[0])
    h = _initial(h0, x.shape[0], params.units, np.result_type(params.kernel, x))
    hs = []
    for t in range(x.shape[1]):
        h = gru_step(params, x[:, t], h)
        hs.append(h)
    return np.stack(hs, axis=1), h


def lstm_param_count(hidden: int, inputs: int) -> int:
    """``4 * (h * (h + x) + h)``: four gates, each a SimpleRNN-sized affine map."""
    return 4 * (hidden * (hidden + inputs) + hidden)


def gru_param_count(hidden: int, inputs: int, *, reset_after: bool = True) -> int:
    """``3 * (h * (h + x) + h)`` plus ``3h`` for the second bias when ``reset_after``."""
    return 3 * (hidden * (hidden + inputs) + hidden) + (3 * hidden if reset_after else 0)


def _lstm_step_jacobian(params: LSTMParams, h: np.ndarray, c: np.ndarray, c_new: np.ndarray,
                        gates: dict[str, np.ndarray]) -> np.ndarray:
    """``∂(h_t, c_t)/∂(h_{t-1}, c_{t-1})`` as a ``[2H, 2H]`` matrix for one sequence."""
    i, f, g, o = gates["i"], gates["f"], gates["g"], gates["o"]
    U_i, U_f, U_c, U_o = (u.T for u in np.split(params.recurrent_kernel, 4, axis=-1))
    dc_dh = ((c * f * (1 - f))[:, None] * U_f + (g * i * (1 - i))[:, None] * U_i
             + (i * (1 - g * g))[:, None] * U_c)
    dc_dc = np.diag(f)
    tc = np.tanh(c_new)
    dh_dh = (tc * o * (1 - o))[:, None] * U_o + (o * (1 - tc * tc))[:, None] * dc_dh
    dh_dc = (o * (1 - tc * tc))[:, None] * dc_dc
    return np.block([[dh_dh, dh_dc], [dc_dh, dc_dc]])


def lstm_jacobian_norms(
    params: LSTMParams, x: np.ndarray, *, wrt: str = "h", ord: int | str = 2
) -> np.ndarray:
    """``‖∂h_T/∂h_t‖`` (``wrt='h'``), ``‖∂c_T/∂c_t‖`` (``'c'``) or ``‖∂(h,c)_T/∂(h,c)_t‖``
    (``'state'``) for ``t = 0 .. T`` along one sequence ``x`` ``[T, X]``.

    Exact: the per-step Jacobians are written out analytically and multiplied (the tests check
    them against central differences). ``∂h_T/∂h_t`` holds ``c_t`` fixed.
    """
    blocks = {"h": (slice(0, 1), slice(0, 1)), "c": (slice(1, 2), slice(1, 2)),
              "state": (slice(0, 2), slice(0, 2))}
    if wrt not in blocks:
        raise ValueError(f"wrt must be one of {tuple(blocks)}, got {wrt!r}")
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence [T, X], got shape {x.shape}")
    units, steps = params.units, x.shape[0]
    h = np.zeros((1, units))
    c = np.zeros((1, units))
    step_jacs = []
    for t in range(steps):
        h_new, c_new, gates = lstm_step(params, x[t][None], h, c)
        step_jacs.append(_lstm_step_jacobian(params, h[0], c[0], c_new[0],
                                             {k: v[0] for k, v in gates.items()}))
        h, c = h_new, c_new
    rows, cols = blocks[wrt]
    r = slice(rows.start * units, rows.stop * units)
    k = slice(cols.start * units, cols.stop * units)
    jac = np.eye(2 * units)
    norms = np.empty(steps + 1)
    norms[steps] = np.linalg.norm(jac[r, k], ord=ord)
    for t in range(steps, 0, -1):
        jac = jac @ step_jacs[t - 1]
        norms[t - 1] = np.linalg.norm(jac[r, k], ord=ord)
    return norms
