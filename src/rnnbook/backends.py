"""Which Keras backend to use: TensorFlow, JAX or PyTorch, whichever is installed.

Keras reads its backend from ``KERAS_BACKEND`` (or ``~/.keras/keras.json``) when it is first
imported and defaults to TensorFlow, so ``import keras`` fails on a machine without TensorFlow
(the GPU machine has JAX and PyTorch only). :func:`choose_backend` picks, in order: the
``KERAS_BACKEND`` variable, the backend named in ``keras.json``, then the first installed of
TensorFlow, JAX and PyTorch. This module never imports Keras or a backend itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_ENV = "KERAS_BACKEND"


class BackendError(RuntimeError):
    """No usable Keras backend, or one that is asked for but not installed."""


def installed_backends() -> list[str]:
    """The Keras backends whose package can be imported here, in preference order."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def _keras_json_backend() -> str | None:
    """The backend ``keras.json`` names, if it names one that is installed here."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        config = json.loads((keras_home / "keras.json").read_text())
    except (OSError, ValueError):
        return None
    backend = config.get("backend") if isinstance(config, dict) else None
    if backend in BACKENDS and importlib.util.find_spec(backend) is not None:
        return backend
    return None


def check_backend(name: str, *, source: str = BACKEND_ENV) -> str:
    """Return ``name`` if it is a known, installed backend; otherwise say what to do."""
    if name not in BACKENDS:
        raise BackendError(f"{source}={name!r}: expected one of {', '.join(BACKENDS)}")
    if importlib.util.find_spec(name) is None:
        have = ", ".join(installed_backends()) or "none"
        raise BackendError(
            f"{source}={name!r}, but the package {name!r} is not installed (installed backends: "
            f"{have}); install it with `pip install -e .[{name}]` or choose another backend"
        )
    return name


def choose_backend() -> str:
    """The backend Keras should use here (see the module docstring for the order)."""
    requested = os.environ.get(BACKEND_ENV, "").strip()
    if requested:
        return check_backend(requested)
    from_json = _keras_json_backend()
    if from_json:
        return from_json
    installed = installed_backends()
    if not installed:
        raise BackendError(
            "no Keras backend is installed: install one of the extras "
            "`pip install -e .[tensorflow]`, `.[jax]` or `.[torch]`"
        )
    return installed[0]


def default_backend_if_needed() -> None:
    """Set ``KERAS_BACKEND`` only where Keras' own default would fail to import.

    With TensorFlow installed, or the variable or ``keras.json`` already naming an installed
    backend, this changes nothing. Without TensorFlow it names the first installed of JAX and
    PyTorch, so that ``import keras`` works on a TensorFlow-less machine.
    """
    if os.environ.get(BACKEND_ENV, "").strip() or _keras_json_backend():
        return
    if importlib.util.find_spec("tensorflow") is not None:
        return
    installed = installed_backends()
    if installed:
        os.environ[BACKEND_ENV] = installed[0]
