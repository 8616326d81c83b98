"""Copy weights between the scratch cells and Keras recurrent layers (both directions).

Keras stores ``SimpleRNN`` weights as ``[kernel [X, H], recurrent_kernel [H, H], bias [H]]``,
``LSTM`` as ``[kernel [X, 4H], recurrent_kernel [H, 4H], bias [4H]]`` (gates i, f, c, o) and
``GRU`` as ``[kernel [X, 3H], recurrent_kernel [H, 3H], bias]`` (gates z, r, h) with ``bias``
``[2, 3H]`` when ``reset_after=True`` (the default) and ``[3H]`` otherwise. Keras layers start from
a zero state; the scratch ``h0`` is not part of a layer's weights (pass it as ``initial_state``).

Layers are used only through ``get_weights()`` / ``set_weights()``, so this module needs no Keras
import; a plain list of arrays works wherever a layer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rnnbook.scratch.gated import GRUParams, LSTMParams
from rnnbook.scratch.rnn import RNNParams

__all__ = [
    "simple_rnn_from_keras",
    "simple_rnn_to_keras",
    "lstm_from_keras",
    "lstm_to_keras",
    "gru_from_keras",
    "gru_to_keras",
]


class _HasWeights(Protocol):
    def get_weights(self) -> list[Any]: ...
    def set_weights(self, weights: Sequence[Any]) -> None: ...


def _weights(layer_or_weights: Any, what: str, count: int = 3) -> list[np.ndarray]:
    raw = layer_or_weights.get_weights() if hasattr(layer_or_weights, "get_weights") else (
        layer_or_weights)
    weights = [np.asarray(w, np.float64) for w in raw]
    if len(weights) != count:
        raise ValueError(f"{what}: expected {count} weight arrays (kernel, recurrent_kernel, bias; "
                         f"use_bias=True), got {len(weights)}")
    return weights


def _push(weights: list[np.ndarray], layer: _HasWeights | None) -> list[np.ndarray]:
    if layer is not None:
        dtypes = [np.asarray(w).dtype for w in layer.get_weights()]
        layer.set_weights([w.astype(d) for w, d in zip(weights, dtypes, strict=True)])
    return weights


def simple_rnn_from_keras(layer_or_weights: Any, output_layer: Any = None) -> RNNParams:
    """Scratch :class:`RNNParams` (float64) from a Keras ``SimpleRNN`` (and optional ``Dense``).

    ``W = [recurrent_kernelᵀ | kernelᵀ]``; ``V, c`` come from ``output_layer`` (``Dense`` kernel
    ``[H, K]``, bias ``[K]``) or are a one-class zero placeholder; ``h0`` is zero.
    """
    kernel, recurrent, bias = _weights(layer_or_weights, "SimpleRNN")
    hidden = recurrent.shape[0]
    if output_layer is not None:
        dense_kernel, dense_bias = _weights(output_layer, "Dense", count=2)
        V, c = dense_kernel.T, dense_bias
    else:
        V, c = np.zeros((1, hidden)), np.zeros(1)
    W = np.concatenate([recurrent.T, kernel.T], axis=1)
    return RNNParams(W=W, b=bias, V=V, c=c, h0=np.zeros(hidden))


def simple_rnn_to_keras(params: RNNParams, layer: _HasWeights | None = None) -> list[np.ndarray]:
    """``[kernel, recurrent_kernel, bias]`` for Keras; also ``layer.set_weights`` if given."""
    return _push([params.W_xh.T.copy(), params.W_hh.T.copy(), params.b.copy()], layer)


def lstm_from_keras(layer_or_weights: Any) -> LSTMParams:
    """Scratch :class:`LSTMParams` (float64) from a Keras ``LSTM`` layer or its weight list."""
    return LSTMParams(*_weights(layer_or_weights, "LSTM"))


def lstm_to_keras(params: LSTMParams, layer: _HasWeights | None = None) -> list[np.ndarray]:
    """``[kernel, recurrent_kernel, bias]`` for Keras; also ``layer.set_weights`` if given."""
    return _push([params.kernel, params.recurrent_kernel, params.bias], layer)


def gru_from_keras(layer_or_weights: Any) -> GRUParams:
    """Scratch :class:`GRUParams` (float64) from a Keras ``GRU``; ``reset_after`` from the bias."""
    kernel, recurrent, bias = _weights(layer_or_weights, "GRU")
    return GRUParams(kernel, recurrent, bias, reset_after=bias.ndim == 2)


def gru_to_keras(params: GRUParams, layer: _HasWeights | None = None) -> list[np.ndarray]:
    """``[kernel, recurrent_kernel, bias]`` for Keras; also ``layer.set_weights`` if given."""
    return _push([params.kernel, params.recurrent_kernel, params.bias], layer)
