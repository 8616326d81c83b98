"""The one fit wrapper every notebook uses, and its callbacks.

:func:`fit` trains a **compiled** Keras model (use :func:`compile_for_training` or
``model.compile``) and adds, on every backend:

- ``TerminateOnNaN``; early stopping on ``monitor`` with ``early_stopping_patience``;
- the best weights (by ``monitor``) restored at the end — kept in memory, or with
  ``checkpoint_path`` saved atomically (written to a temporary file, then ``os.replace``);
- resumable runs: with ``checkpoint_path='run/best.weights.h5'`` the files are
  ``run/best.weights.h5`` (best weights), ``run/best.last.weights.h5`` (weights and optimizer state
  after the last finished epoch) and ``run/best.state.json`` (epoch number, history, best value,
  patience counter). ``resume=True`` continues from there; ``epochs`` is always the total;
- training throughput (tokens/s, timed from the epoch's start to its last training batch) and
  wall time, and with ``verbose=1`` one short line per epoch (never a progress bar).

Tokens are counted as positions: ``N * T`` for an input array ``[N, T, ...]`` (the first input of
a multi-input model), ``N`` for ``[N]``. Give ``tokens_per_batch`` for datasets; without it the
first batch of a ``PyDataset`` / ``tf.data`` / ``DataLoader`` is measured.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from rnnbook.atomic import atomic_path

__all__ = [
    "FitResult",
    "ThroughputCallback",
    "compile_for_training",
    "count_tokens",
    "enable_mixed_precision",
    "fit",
    "gpu_available",
]

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}
_MAX_WORDS = ("acc", "f1", "auc", "precision", "recall", "bleu")


# --------------------------------------------------------------------------- environment
def gpu_available() -> bool:
    """Whether the active Keras backend sees a GPU."""
    backend = keras.backend.backend()
    try:
        if backend == "torch":
            import torch

            return bool(torch.cuda.is_available())
        if backend == "jax":
            import jax

            return any(d.platform == "gpu" for d in jax.devices())
        return bool(keras.distribution.list_devices("gpu"))
    except Exception:  # a backend without a device query: assume CPU
        return False


def enable_mixed_precision(policy: str = "mixed_float16") -> bool:
    """Set the global dtype policy to ``policy`` if a GPU is visible; returns whether it did.

    Call it **before** building the model: layers take their dtype policy when created.
    """
    if not gpu_available():
        return False
    keras.mixed_precision.set_global_policy(policy)
    return True


# --------------------------------------------------------------------------- compile
def compile_for_training(
    model: keras.Model,
    loss: Any,
    *,
    learning_rate: float = 1e-3,
    optimizer: str = "adam",
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    metrics: Sequence[Any] | None = None,
    **compile_kwargs: Any,
) -> keras.Model:
    """Compile ``model`` with a fresh optimizer (``adam``, ``adamw``, ``sgd`` or ``rmsprop``).

    ``clipnorm`` clips each gradient tensor to that norm (Keras' ``clipnorm``); ``global_clipnorm``
    scales all gradients together (as :func:`rnnbook.scratch.clip_by_global_norm`).
    """
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    opt = _OPTIMIZERS[optimizer](learning_rate=learning_rate, clipnorm=clipnorm,
                                 global_clipnorm=global_clipnorm)
    model.compile(optimizer=opt, loss=loss, metrics=list(metrics or []), **compile_kwargs)
    return model


# --------------------------------------------------------------------------- tokens
def _first_array(x: Any) -> Any:
    while isinstance(x, list | tuple | dict):
        if not x:
            return None
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return x


def count_tokens(x: Any) -> int:
    """Positions in an input batch: ``N * T`` for ``[N, T, ...]``, ``N`` for ``[N]``."""
    arr = _first_array(x)
    shape = tuple(getattr(arr, "shape", np.shape(arr)))
    if not shape or shape[0] is None:
        return 0
    return int(shape[0]) * (int(shape[1]) if len(shape) >= 2 and shape[1] is not None else 1)


def _peek_tokens(dataset: Any) -> int | None:
    """Tokens in the first batch of a PyDataset / tf.data / DataLoader, else ``None``."""
    try:
        if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
            batch = dataset[0]
        elif hasattr(dataset, "element_spec") or hasattr(dataset, "batch_size"):
            batch = next(iter(dataset))
        else:
            return None
    except Exception:
        return None
    x = batch[0] if isinstance(batch, tuple | list) and len(batch) in (2, 3) else batch
    return count_tokens(x) or None


# --------------------------------------------------------------------------- callbacks
class ThroughputCallback(keras.callbacks.Callback):
    """Times each epoch and reports training throughput.

    ``tokens_per_epoch`` (with ``steps_per_epoch`` to pro-rate an interrupted epoch) or
    ``tokens_per_batch`` gives the token count; without either only times are recorded.
    """

    def __init__(self, tokens_per_batch: int | None = None, tokens_per_epoch: int | None = None,
                 steps_per_epoch: int | None = None) -> None:
        super().__init__()
        self.tokens_per_batch = tokens_per_batch
        self.tokens_per_epoch = tokens_per_epoch
        self.steps_per_epoch = steps_per_epoch
        self.epoch_times_s: list[float] = []
        self.train_times_s: list[float] = []
        self.tokens: list[int] = []
        self.tokens_per_s: list[float | None] = []
        self._start = self._last_batch = 0.0
        self._batches = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = self._last_batch = time.perf_counter()
        self._batches = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batches = batch + 1
        self._last_batch = time.perf_counter()

    def _epoch_tokens(self) -> int | None:
        if self.tokens_per_epoch is not None:
            if self.steps_per_epoch:
                return round(self.tokens_per_epoch * min(1.0, self._batches / self.steps_per_epoch))
            return self.tokens_per_epoch
        if self.tokens_per_batch is not None:
            return self.tokens_per_batch * self._batches
        return None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        train_time = max(self._last_batch - self._start, 1e-9)
        tokens = self._epoch_tokens()
        self.epoch_times_s.append(time.perf_counter() - self._start)
        self.train_times_s.append(train_time)
        self.tokens.append(tokens or 0)
        self.tokens_per_s.append(tokens / train_time if tokens else None)

    @property
    def overall_tokens_per_s(self) -> float | None:
        """Total tokens over total training time of the epochs seen, or ``None``."""
        if not self.tokens or not any(self.tokens):
            return None
        return sum(self.tokens) / max(sum(self.train_times_s), 1e-9)


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path``; remove ``tmp`` on failure."""
    with atomic_path(path) as tmp:
        write(tmp)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())

    _atomic_write(path, write)


@dataclass
class _CheckpointFiles:
    best: Path
    last: Path
    state: Path

    @classmethod
    def from_path(cls, checkpoint_path: str | os.PathLike[str]) -> _CheckpointFiles:
        path = Path(checkpoint_path)
        if not path.name.endswith(".weights.h5"):
            raise ValueError(f"checkpoint_path must end with '.weights.h5', got {str(path)!r}")
        stem = path.name[: -len(".weights.h5")]
        return cls(path, path.with_name(f"{stem}.last.weights.h5"),
                   path.with_name(f"{stem}.state.json"))


class _RunTracker(keras.callbacks.Callback):
    """History, best value, patience, checkpoints and the per-epoch line."""

    def __init__(self, *, monitor: str, mode: str, patience: int | None,
                 files: _CheckpointFiles | None, epochs: int, verbose: int,
                 throughput: ThroughputCallback, state: dict[str, Any] | None) -> None:
        super().__init__()
        state = state or {}
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.files, self.epochs, self.verbose, self.throughput = files, epochs, verbose, throughput
        self.history: dict[str, list[float]] = {k: list(v) for k, v in
                                                state.get("history", {}).items()}
        self.best_value: float | None = state.get("best_value")
        self.best_epoch: int | None = state.get("best_epoch")
        self.wait: int = state.get("wait", 0)
        self.best_weights: list[np.ndarray] | None = None
        self.stopped_early = False
        self.stopped_on_nan = False
        self.epochs_run = 0

    def _better(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best_value is None:
            return True
        return value < self.best_value if self.mode == "min" else value > self.best_value

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        if self.monitor not in logs:
            raise ValueError(f"monitor={self.monitor!r} is not among the epoch's metrics "
                             f"{sorted(logs)}")
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs_run += 1
        value = float(logs[self.monitor])
        if not math.isfinite(float(logs.get("loss", 0.0))):
            self.stopped_on_nan = True
        improved = self._better(value)
        if improved:
            self.best_value, self.best_epoch, self.wait = value, epoch + 1, 0
            if self.files is not None:
                _atomic_write(self.files.best, self.model.save_weights)
            else:
                self.best_weights = [np.array(w, copy=True) for w in self.model.get_weights()]
        else:
            self.wait += 1
        if self.patience is not None and self.wait >= self.patience:
            self.stopped_early = True
            self.model.stop_training = True
        if self.files is not None and not self.stopped_on_nan:
            _atomic_write(self.files.last, self.model.save_weights)
            _write_json(self.files.state, self.state_dict(epoch + 1))
        if self.verbose:
            print(self._line(epoch, logs, improved), flush=True)

    def state_dict(self, epochs_done: int) -> dict[str, Any]:
        return {"version": 1, "epoch": epochs_done, "epochs": self.epochs,
                "monitor": self.monitor, "mode": self.mode, "best_value": self.best_value,
                "best_epoch": self.best_epoch, "wait": self.wait, "history": self.history}

    def _line(self, epoch: int, logs: dict[str, Any], improved: bool) -> str:
        parts = [f"epoch {epoch + 1}/{self.epochs}"]
        parts += [f"{k} {float(v):.4f}" for k, v in logs.items()]
        if self.throughput.epoch_times_s:
            parts.append(f"{self.throughput.epoch_times_s[-1]:.1f}s")
        if self.throughput.tokens_per_s and self.throughput.tokens_per_s[-1]:
            parts.append(f"{self.throughput.tokens_per_s[-1] / 1000:.1f}k tok/s")
        return " - ".join(parts) + (" *" if improved else "")


# --------------------------------------------------------------------------- fit
@dataclass
class FitResult:
    """What :func:`fit` did. Epoch numbers are 1-based; ``history`` includes resumed epochs."""

    history: dict[str, list[float]]
    best_epoch: int | None
    best_value: float | None
    monitor: str
    epochs_run: int
    initial_epoch: int
    wall_time_s: float
    tokens_per_s: float | None
    epoch_times_s: list[float] = field(default_factory=list)
    stopped_early: bool = False
    stopped_on_nan: bool = False
    mixed_precision: bool = False

    @property
    def total_epochs(self) -> int:
        """Epochs in the history (resumed ones included)."""
        return max((len(v) for v in self.history.values()), default=0)

    def summary(self) -> str:
        """One line: best value and epoch, wall time and throughput."""
        best = (f"best {self.monitor} {self.best_value:.4f} at epoch {self.best_epoch}"
                if self.best_value is not None else f"no finite {self.monitor}")
        speed = f", {self.tokens_per_s / 1000:.1f}k tokens/s" if self.tokens_per_s else ""
        return f"{best} of {self.total_epochs}; {self.wall_time_s:.1f} s{speed}"


def _resolve_mode(monitor: str, mode: str) -> str:
    if mode == "auto":
        return "max" if any(word in monitor for word in _MAX_WORDS) else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _set_clipnorm(model: keras.Model, clipnorm: float | None) -> None:
    if clipnorm is None:
        return
    if not clipnorm > 0:
        raise ValueError(f"clipnorm must be > 0, got {clipnorm!r}")
    opt = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    if opt.global_clipnorm is not None or opt.clipvalue is not None:
        raise ValueError("clipnorm: the optimizer already clips (global_clipnorm or clipvalue); "
                         "set one kind of clipping only")
    if opt.clipnorm != clipnorm:
        opt.clipnorm = clipnorm
        model.train_function = None  # retrace with the new clipping


def _load_resume_state(model: keras.Model, files: _CheckpointFiles, monitor: str
                       ) -> dict[str, Any] | None:
    if not files.state.exists():
        return None
    state = json.loads(files.state.read_text(encoding="utf-8"))
    if state.get("monitor") != monitor:
        raise ValueError(f"resume: {files.state} was written with monitor="
                         f"{state.get('monitor')!r}, this run uses monitor={monitor!r}")
    if not files.last.exists():
        raise FileNotFoundError(f"resume: {files.state} exists but {files.last} is missing")
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(files.last)
    return state


def fit(
    model: keras.Model,
    train: Any,
    validation: Any = None,
    *,
    epochs: int,
    batch_size: int | None = None,
    seed: int | None = None,
    clipnorm: float | None = None,
    early_stopping_patience: int | None = None,
    monitor: str = "val_loss",
    mode: str = "auto",
    checkpoint_path: str | os.PathLike[str] | None = None,
    resume: bool = False,
    restore_best: bool = True,
    tokens_per_batch: int | None = None,
    verbose: int = 0,
    mixed_precision: bool = False,
    shuffle: bool = True,
    callbacks: Iterable[keras.callbacks.Callback] = (),
) -> FitResult:
    """Train a compiled ``model`` for ``epochs`` (total, counting resumed ones).

    ``train`` / ``validation``: a tuple ``(x, y)`` or ``(x, y, sample_weight)`` of arrays (``x``
    may be a list or dict for multi-input models; ``batch_size`` defaults to 32), or a
    ``PyDataset`` / ``tf.data.Dataset`` / other Keras-accepted dataset. Without validation data a
    ``val_*`` monitor falls back to the training metric. ``clipnorm`` sets the compiled optimizer's
    per-tensor ``clipnorm``. ``mixed_precision=True`` only matters on a GPU, where the model must
    have been built under a mixed policy (see :func:`enable_mixed_precision`); on a CPU it is
    ignored. See the module docstring for checkpoints, resuming and token counting.
    """
    start = time.perf_counter()
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
    if early_stopping_patience is not None and early_stopping_patience < 1:
        raise ValueError(f"early_stopping_patience must be >= 1, got {early_stopping_patience!r}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled first (model.compile or compile_for_training)")
    if validation is None and monitor.startswith("val_"):
        monitor = monitor[4:]
    mode = _resolve_mode(monitor, mode)
    mixed = False
    if mixed_precision and gpu_available():
        if not model.dtype_policy.name.startswith("mixed"):
            raise ValueError("mixed_precision=True: the model was built with dtype policy "
                             f"{model.dtype_policy.name!r}; call enable_mixed_precision() "
                             "before building it")
        mixed = True
    if seed is not None:
        keras.utils.set_random_seed(seed)
    _set_clipnorm(model, clipnorm)
    files = _CheckpointFiles.from_path(checkpoint_path) if checkpoint_path else None
    if resume and files is None:
        raise ValueError("resume=True needs checkpoint_path")
    state = _load_resume_state(model, files, monitor) if resume and files else None
    initial_epoch = int(state["epoch"]) if state else 0

    fit_kwargs: dict[str, Any] = {}
    tokens_per_epoch = steps = None
    if isinstance(train, tuple):
        if len(train) not in (2, 3):
            raise ValueError(f"train must be (x, y) or (x, y, sample_weight), got a tuple of "
                             f"{len(train)}")
        batch_size = batch_size or 32
        fit_kwargs.update(x=train[0], y=train[1], batch_size=batch_size, shuffle=shuffle,
                          sample_weight=train[2] if len(train) == 3 else None)
        n = int(getattr(_first_array(train[0]), "shape", [0])[0])
        tokens_per_epoch = count_tokens(train[0]) if tokens_per_batch is None else None
        steps = math.ceil(n / batch_size) if n else None
    else:
        if batch_size is not None:
            raise ValueError("batch_size applies to array inputs only; batch the dataset itself")
        fit_kwargs["x"] = train
        # only a PyDataset can be shuffled by Keras (batch order); others warn if asked
        fit_kwargs["shuffle"] = shuffle and isinstance(train, keras.utils.PyDataset)
        if tokens_per_batch is None:
            tokens_per_batch = _peek_tokens(train)
    throughput = ThroughputCallback(tokens_per_batch, tokens_per_epoch, steps)
    tracker = _RunTracker(monitor=monitor, mode=mode, patience=early_stopping_patience,
                          files=files, epochs=epochs, verbose=verbose, throughput=throughput,
                          state=state)
    already_stopped = (state is not None and early_stopping_patience is not None
                       and tracker.wait >= early_stopping_patience)
    if initial_epoch < epochs and not already_stopped:
        model.fit(validation_data=validation, epochs=epochs, initial_epoch=initial_epoch,
                  verbose=0, callbacks=[keras.callbacks.TerminateOnNaN(), throughput, tracker,
                                        *callbacks], **fit_kwargs)
    if restore_best and tracker.best_epoch is not None:
        if files is not None and files.best.exists():
            model.load_weights(files.best)
        elif tracker.best_weights is not None:
            model.set_weights(tracker.best_weights)
    return FitResult(
        history=tracker.history, best_epoch=tracker.best_epoch, best_value=tracker.best_value,
        monitor=monitor, epochs_run=tracker.epochs_run, initial_epoch=initial_epoch,
        wall_time_s=time.perf_counter() - start, tokens_per_s=throughput.overall_tokens_per_s,
        epoch_times_s=throughput.epoch_times_s, stopped_early=tracker.stopped_early,
        stopped_on_nan=tracker.stopped_on_nan, mixed_precision=mixed)
