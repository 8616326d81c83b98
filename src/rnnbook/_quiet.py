"""Keep TensorFlow's native start-up log lines out of notebook outputs.

TensorFlow 2.21 writes lines such as "oneDNN custom operations are on" and "failed call to cuInit"
to the process's stderr from C++ before absl logging is initialised, so ``TF_CPP_MIN_LOG_LEVEL``
cannot hide them. We silence file descriptor 2 only while the ``tensorflow`` module itself is
executed and while it first looks for GPUs. Python exceptions still propagate. Set
``RNNBOOK_TF_LOGS=1`` to see the lines.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block."""
    if os.environ.get("RNNBOOK_TF_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` with the normal machinery and runs its module code silenced."""

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 - importlib protocol
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # one import only; let the regular finders locate it
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quiet_exec_module(module) -> None:  # noqa: ANN001
            with native_stderr_silenced():
                exec_module(module)

        spec.loader.exec_module = quiet_exec_module
        return spec


def install() -> None:
    """Install the import hook once, if TensorFlow has not been imported yet."""
    if "tensorflow" not in sys.modules and not any(
        isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietTensorFlowImport())
