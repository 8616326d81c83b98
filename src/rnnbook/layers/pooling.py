"""Pooling over time that honours a padding mask (max and mean of a recurrent layer's outputs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

POOLING_MODES = ("max", "mean")


@keras.saving.register_keras_serializable(package="rnnbook")
class MaskedTimePooling(keras.layers.Layer):
    """``[B, T, H]`` → ``[B, len(modes) * H]``: the max and/or mean over the real time steps.

    Padded steps (mask False) never enter the max or the mean, so a review gives the same
    output however much padding follows it. A row with no real step gives zeros.

    Args:
        modes: a non-empty subset of ``("max", "mean")``, concatenated in that order.
    """

    def __init__(self, modes: Sequence[str] = POOLING_MODES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        modes = tuple(modes)
        if not modes or any(m not in POOLING_MODES for m in modes) or len(set(modes)) != len(modes):
            raise ValueError(f"modes must be a non-empty subset of {POOLING_MODES}, got {modes!r}")
        self.modes = modes
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        m = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)  # [B, T, 1]
        count = ops.sum(m, axis=1)  # [B, 1]
        outputs = []
        for mode in self.modes:
            if mode == "max":
                lowest = ops.min(inputs) - 1.0
                pooled = ops.max(ops.where(m > 0, inputs, lowest), axis=1)
                outputs.append(ops.where(count > 0, pooled, ops.zeros_like(pooled)))
            else:
                outputs.append(ops.sum(inputs * m, axis=1) / ops.maximum(count, 1.0))
        return outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=-1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        width = None if input_shape[-1] is None else input_shape[-1] * len(self.modes)
        return (input_shape[0], width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "modes": list(self.modes)}
