"""A SimpleRNN language-model cell in NumPy: forward, BPTT, gradient check, clipping, Jacobians.

The cell is ``h_t = act(W · [h_{t-1}, x_t] + b)`` with ``act = tanh`` (or ``linear`` for the
exploding-gradient demonstration) and the output ``y_t = softmax(V h_t + c)``.

Shapes: ``W`` is ``[H, H + X]`` (its first ``H`` columns act on ``h_{t-1}``, the rest on ``x_t``),
``b`` is ``[H]``, ``V`` is ``[K, H]``, ``c`` is ``[K]`` and ``h0`` is ``[H]`` (a learned initial
state shared by every sequence of a batch). Inputs are ``[T, X]`` or ``[B, T, X]``.

The loss is the mean cross-entropy over all ``B * T`` positions, the same value as Keras'
``SparseCategoricalCrossentropy`` on the same logits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "RNNParams",
    "RNNForward",
    "simple_rnn_param_count",
    "rnn_forward",
    "rnn_loss",
    "rnn_loss_and_grads",
    "numerical_gradient",
    "relative_error",
    "gradient_check",
    "global_norm",
    "clip_by_global_norm",
    "hidden_jacobian_norms",
]

_ACTIVATIONS = ("tanh", "linear", "relu")
G = TypeVar("G")


@dataclass
class RNNParams:
    """Parameters of the scratch SimpleRNN with a softmax output layer (shapes in module doc)."""

    W: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray
    h0: np.ndarray

    @property
    def hidden_size(self) -> int:
        return int(self.W.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W.shape[1] - self.W.shape[0])

    @property
    def output_size(self) -> int:
        return int(self.V.shape[0])

    @classmethod
    def init(
        cls,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        scale: float = 0.1,
        seed: int | None = 0,
        dtype: Any = np.float64,
    ) -> RNNParams:
        """Small random Gaussian weights (std ``scale``), zero biases and zero ``h0``."""
        rng = np.random.default_rng(seed)
        return cls(
            W=(scale * rng.standard_normal((hidden_size, hidden_size + input_size))).astype(dtype),
            b=np.zeros(hidden_size, dtype),
            V=(scale * rng.standard_normal((output_size, hidden_size))).astype(dtype),
            c=np.zeros(output_size, dtype),
            h0=np.zeros(hidden_size, dtype),
        )

    def as_dict(self) -> dict[str, np.ndarray]:
        """The parameters by name (the arrays themselves, not copies)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def copy(self) -> RNNParams:
        return RNNParams(**{k: np.array(v, copy=True) for k, v in self.as_dict().items()})

    @property
    def W_hh(self) -> np.ndarray:
        """The recurrent block ``W[:, :H]`` (acts on ``h_{t-1}``)."""
        return self.W[:, : self.hidden_size]

    @property
    def W_xh(self) -> np.ndarray:
        """The input block ``W[:, H:]`` (acts on ``x_t``)."""
        return self.W[:, self.hidden_size :]


@dataclass
class RNNForward:
    """What the forward pass keeps for BPTT: ``hs`` ``[B, T+1, H]`` (``hs[:, 0]`` is ``h0``),
    ``probs`` ``[B, T, K]``, the inputs ``x`` ``[B, T, X]`` and the activation name."""

    hs: np.ndarray
    probs: np.ndarray
    x: np.ndarray
    activation: str

    @property
    def h_last(self) -> np.ndarray:
        return self.hs[:, -1]


def simple_rnn_param_count(hidden: int, inputs: int) -> int:
    """Number of parameters of a SimpleRNN layer: ``h * (h + x) + h``."""
    return hidden * (hidden + inputs) + hidden


def _check_activation(activation: str) -> None:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")


def _as_batch(x: np.ndarray, input_size: int) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[-1] != input_size:
        raise ValueError(f"x must have shape [T, {input_size}] or [B, T, {input_size}], "
                         f"got {np.shape(x)}")
    return x


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _activate(a: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(a)
    return np.maximum(a, 0.0) if activation == "relu" else a


def _derivative(h: np.ndarray, activation: str) -> np.ndarray:
    """The activation's derivative, written with its output ``h = act(a)``."""
    if activation == "tanh":
        return 1.0 - h * h
    if activation == "relu":
        return (h > 0).astype(h.dtype)
    return np.ones_like(h)


def rnn_forward(params: RNNParams, x: np.ndarray, *, activation: str = "tanh") -> RNNForward:
    """Run the cell over ``x`` (``[T, X]`` or ``[B, T, X]``) and return the cached activations."""
    _check_activation(activation)
    x = _as_batch(x, params.input_size)
    batch, steps, _ = x.shape
    dtype = np.result_type(params.W, x)
    hs = np.empty((batch, steps + 1, params.hidden_size), dtype)
    hs[:, 0] = params.h0
    for t in range(steps):
        z = np.concatenate([hs[:, t], x[:, t]], axis=-1)
        a = z @ params.W.T + params.b
        hs[:, t + 1] = _activate(a, activation)
    probs = _softmax(hs[:, 1:] @ params.V.T + params.c)
    return RNNForward(hs=hs, probs=probs, x=x, activation=activation)


def _targets(targets: np.ndarray, shape: tuple[int, int], classes: int) -> np.ndarray:
    y = np.asarray(targets)
    if y.ndim == 1:
        y = y[None]
    if y.shape != shape:
        raise ValueError(f"targets must have shape {shape} (batch, time), got {np.shape(targets)}")
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"targets must be class ids in [0, {classes}), got range "
                         f"[{y.min()}, {y.max()}]")
    return y.astype(np.int64)


def rnn_loss(params: RNNParams, x: np.ndarray, targets: np.ndarray, *,
             activation: str = "tanh") -> float:
    """Mean cross-entropy (nats) of ``targets`` (``[T]`` or ``[B, T]`` ids) under the cell."""
    fwd = rnn_forward(params, x, activation=activation)
    y = _targets(targets, fwd.probs.shape[:2], params.output_size)
    picked = np.take_along_axis(fwd.probs, y[..., None], axis=-1)[..., 0]
    return float(-np.log(picked).mean())


def rnn_loss_and_grads(
    params: RNNParams, x: np.ndarray, targets: np.ndarray, *, activation: str = "tanh"
) -> tuple[float, RNNParams]:
    """Loss and its exact gradients for every parameter by back-propagation through time."""
    fwd = rnn_forward(params, x, activation=activation)
    hs, probs, xb = fwd.hs, fwd.probs, fwd.x
    batch, steps, _ = probs.shape
    y = _targets(targets, (batch, steps), params.output_size)
    n = batch * steps
    picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
    loss = float(-np.log(picked).mean())

    d_logits = probs.copy()  # dL/d(V h + c) = (p - onehot) / n
    np.put_along_axis(d_logits, y[..., None], np.take_along_axis(d_logits, y[..., None], -1) - 1,
                      axis=-1)
    d_logits /= n
    grads = RNNParams(*(np.zeros_like(p) for p in (params.W, params.b, params.V, params.c,
                                                   params.h0)))
    grads.V = np.einsum("btk,bth->kh", d_logits, hs[:, 1:])
    grads.c = d_logits.sum(axis=(0, 1))
    hidden = params.hidden_size
    dh_next = np.zeros((batch, hidden), hs.dtype)
    for t in reversed(range(steps)):
        dh = d_logits[:, t] @ params.V + dh_next
        h = hs[:, t + 1]
        da = dh * _derivative(h, activation)
        z = np.concatenate([hs[:, t], xb[:, t]], axis=-1)
        grads.W += da.T @ z
        grads.b += da.sum(axis=0)
        dh_next = da @ params.W[:, :hidden]
    grads.h0 = dh_next.sum(axis=0)
    return loss, grads


def numerical_gradient(f: Callable[[], float], array: np.ndarray, *, eps: float = 1e-5
                       ) -> np.ndarray:
    """Central-difference gradient of ``f()`` with respect to ``array`` (perturbed in place)."""
    grad = np.zeros_like(array, dtype=np.float64)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = array[idx]
        array[idx] = old + eps
        plus = f()
        array[idx] = old - eps
        minus = f()
        array[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``‖a - b‖ / max(‖a‖ + ‖b‖, 1e-300)`` (norm-wise, so tiny entries do not dominate)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def gradient_check(
    params: RNNParams, x: np.ndarray, targets: np.ndarray, *, eps: float = 1e-5,
    activation: str = "tanh",
) -> dict[str, float]:
    """Relative error between the BPTT gradients and central differences, per parameter.

    Use float64 parameters and inputs; values below about 1e-6 mean the gradients agree.
    """
    _, grads = rnn_loss_and_grads(params, x, targets, activation=activation)
    work = params.copy()
    loss = lambda: rnn_loss(work, x, targets, activation=activation)
    return {
        name: relative_error(getattr(grads, name), numerical_gradient(loss, arr, eps=eps))
        for name, arr in work.as_dict().items()
    }


def _leaves(grads: Any) -> list[np.ndarray]:
    if isinstance(grads, RNNParams):
        return list(grads.as_dict().values())
    if isinstance(grads, Mapping):
        return [np.asarray(g) for g in grads.values()]
    if isinstance(grads, Sequence) and not isinstance(grads, np.ndarray):
        return [np.asarray(g) for g in grads]
    return [np.asarray(grads)]


def global_norm(grads: RNNParams | Mapping[str, np.ndarray] | Sequence[np.ndarray]) -> float:
    """``sqrt(sum of squares)`` over every gradient array."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in _leaves(grads))))


def clip_by_global_norm(grads: G, max_norm: float) -> tuple[G, float]:
    """Scale all gradients by ``max_norm / global_norm`` when the global norm exceeds ``max_norm``.

    Accepts an :class:`RNNParams`, a dict or a list of arrays and returns the same kind (new
    arrays) together with the global norm before clipping. Gradients under the limit are unchanged.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    norm = global_norm(grads)  # type: ignore[arg-type]
    scale = max_norm / norm if norm > max_norm else 1.0

    def scaled(g: Any) -> np.ndarray:
        return np.asarray(g) * scale

    if isinstance(grads, RNNParams):
        out: Any = RNNParams(**{k: scaled(v) for k, v in grads.as_dict().items()})
    elif isinstance(grads, Mapping):
        out = {k: scaled(v) for k, v in grads.items()}
    elif isinstance(grads, Sequence) and not isinstance(grads, np.ndarray):
        out = type(grads)(scaled(g) for g in grads) if isinstance(grads, tuple) else [
            scaled(g) for g in grads]
    else:
        out = scaled(grads)
    return out, norm


def hidden_jacobian_norms(
    params: RNNParams, x: np.ndarray, *, activation: str = "tanh", ord: Any = 2
) -> np.ndarray:
    """``‖∂h_T/∂h_t‖`` for ``t = 0 .. T`` along one sequence ``x`` ``[T, X]``.

    ``∂h_T/∂h_t = Π_{k=t+1..T} diag(act'(a_k)) W_hh``; entry ``T`` is the identity's norm (1 for
    the default spectral norm ``ord=2``; any ``numpy.linalg.norm`` matrix order works). With a
    linear activation and ``W_hh = w·I`` the result is exactly ``|w|^(T-t)``.
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence [T, X], got shape {x.shape}")
    fwd = rnn_forward(params, x, activation=activation)
    hs = fwd.hs[0]
    steps = x.shape[0]
    hidden = params.hidden_size
    jac = np.eye(hidden, dtype=hs.dtype)
    norms = np.empty(steps + 1, dtype=np.float64)
    norms[steps] = np.linalg.norm(jac, ord=ord)
    for t in range(steps, 0, -1):  # jac = ∂h_T/∂h_t  ->  ∂h_T/∂h_{t-1}
        local = _derivative(hs[t], activation)[:, None] * params.W_hh
        jac = jac @ local
        norms[t - 1] = np.linalg.norm(jac, ord=ord)
    return norms
