"""Argument checks shared by the library: one message format for a bad size or rate."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["positive_int", "rate"]


def positive_int(name: str, value: Any, *, error: type[ValueError] = ValueError) -> int:
    """Return ``value`` as an ``int`` if it is an integer > 0 (not a bool), else raise ``error``.

    The message names the argument: ``\\`units\\` must be a positive integer, got 0.``
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise error(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def rate(name: str, value: Any, *, error: type[ValueError] = ValueError) -> float:
    """Return ``value`` as a ``float`` if it is a rate in [0, 1) (e.g. dropout), else raise."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
            or not 0.0 <= float(value) < 1.0:
        raise error(f"`{name}` must be in [0, 1), got {value!r}.")
    return float(value)
