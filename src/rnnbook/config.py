"""Profiles, seeds and the environment report that every notebook prints first.

A *profile* sizes the work (data, epochs, units); it never changes the code path:

- ``smoke``: real data subsets, at most ~2 minutes per notebook on 2 CPU cores (CI);
- ``cpu``: real results on a 2-core CPU, about 30 minutes per notebook (measured: docs/results.md);
- ``full``: reference results, at most ~10 minutes per notebook on one H100.

Library functions take sizes as arguments; only notebooks and the CLI read the profile.
"""

from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

PROFILE_ENV = "RNNBOOK_PROFILE"


@dataclass(frozen=True)
class Profile:
    """A named size setting; ``pick`` chooses this profile's value among three."""

    name: str
    description: str
    minutes_per_notebook: float

    def pick(self, *, smoke: T, cpu: T, full: T) -> T:
        """This profile's value, e.g. ``epochs = profile.pick(smoke=1, cpu=8, full=30)``."""
        return {"smoke": smoke, "cpu": cpu, "full": full}[self.name]


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "CI check: real data subsets, tiny models", 2),
    "cpu": Profile("cpu", "real results on a 2-core CPU", 30),
    "full": Profile("full", "reference results, sized for one GPU", 10),
}

_started_at: float | None = None


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``; raise ``ValueError`` listing the valid names."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r} (from {PROFILE_ENV} or --profile); "
            f"expected one of {', '.join(PROFILES)}"
        ) from None


def gpu_name() -> str | None:
    """The name of the first GPU visible to the active Keras backend, or ``None``."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "torch":
            import torch

            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            return gpus[0].device_kind if gpus else None
        if backend == "tensorflow":
            import tensorflow as tf  # only for the device report, never in model code

            gpus = tf.config.list_physical_devices("GPU")
            if not gpus:
                return None
            details = tf.config.experimental.get_device_details(gpus[0])
            return details.get("device_name", gpus[0].name)
    except RuntimeError:  # a backend that fails to initialise CUDA has no usable GPU
        return None
    return None


def active_profile() -> Profile:
    """The profile named by ``RNNBOOK_PROFILE``; ``full`` when a GPU is visible, else ``cpu``."""
    name = os.environ.get(PROFILE_ENV, "").strip()
    if name:
        return get_profile(name)
    return PROFILES["full"] if gpu_name() else PROFILES["cpu"]


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and the Keras backend: the one place that configures randomness."""
    import keras

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - learners' code may use the legacy global generator
    keras.utils.set_random_seed(seed)


def environment_report(profile: Profile | None = None) -> dict[str, Any]:
    """Backend, device and versions, as a flat dictionary."""
    import keras

    import rnnbook

    backend = keras.backend.backend()
    try:
        backend_module = __import__(backend)
        backend_version = getattr(backend_module, "__version__", "?")
    except ImportError:
        backend_version = "?"
    gpu = gpu_name()
    profile = profile or active_profile()
    return {
        "rnnbook": rnnbook.__version__,
        "profile": profile.name,
        "backend": backend,
        "backend_version": backend_version,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": gpu or f"CPU ({os.cpu_count()} cores)",
        "samples": samples_mode(),
    }


def samples_mode() -> bool:
    """Whether the datasets come from the hand-made samples: the resolver's answer, so that the
    loaders, the banner and the results file always agree (``RNNBOOK_SAMPLES`` = 1/true/yes/on)."""
    from rnnbook.datasets.resolver import samples_mode as resolver_samples_mode

    return resolver_samples_mode()


def format_report(report: dict[str, Any]) -> str:
    """One line for a notebook's first output."""
    line = (
        f"rnnbook {report['rnnbook']} | profile {report['profile']} | "
        f"backend {report['backend']} {report['backend_version']} | keras {report['keras']} | "
        f"device {report['device']} | python {report['python']}"
    )
    if report.get("samples"):
        line += " | SAMPLE DATA: results are meaningless"
    return line


PRECISION_ENV = "RNNBOOK_PRECISION"
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def apply_precision() -> str:
    """Set Keras' global dtype policy from ``RNNBOOK_PRECISION`` (default ``float32``).

    The GPU run sets it to a mixed policy when ``rnnbook bench`` finds that faster; every task
    model keeps its final Dense (and the CRF) in float32, so losses and outputs stay float32.
    """
    import keras

    name = os.environ.get(PRECISION_ENV, "").strip() or "float32"
    if name not in PRECISIONS:
        raise ValueError(f"{PRECISION_ENV}={name!r}: expected one of {', '.join(PRECISIONS)}")
    keras.mixed_precision.set_global_policy(name)
    exact_float32_matmuls(name == "float32")
    return name


def exact_float32_matmuls(exact: bool = True) -> None:
    """Make float32 matrix products float32 on a GPU (``exact``), or let the backend round them.

    By default JAX, and cuDNN under PyTorch, compute float32 products on Ampere and later GPUs in
    TF32 (a 10-bit mantissa). On an H200 that moved outputs by about 1e-4, enough to fail the
    notebooks' float32 checks against NumPy; recurrent models are too small to gain from TF32.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest" if exact else "default")
    elif backend == "torch":
        import torch

        # PyTorch's own defaults are TF32 off for matrix products and on for cuDNN (which runs
        # its recurrent kernels); ``exact=False`` restores both.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = not exact


def setup(seed: int = 42) -> Profile:
    """Seed everything, set the dtype policy, give figures alt text, print the report."""
    global _started_at
    _started_at = time.perf_counter()
    profile = active_profile()
    set_seed(seed)
    precision = apply_precision()
    from rnnbook.figure_alt import enable_alt_text

    enable_alt_text()  # every figure shown in a notebook gets a text alternative
    print(format_report(environment_report(profile)))
    if precision != "float32":
        print(f"precision {precision}: 16-bit compute, float32 weights and outputs")
    return profile


def seconds_since_setup() -> float:
    """Wall time since :func:`setup` was called (0.0 if it was not)."""
    return 0.0 if _started_at is None else time.perf_counter() - _started_at
