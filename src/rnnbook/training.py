"""The one fit wrapper every notebook uses, and its callbacks.

:func:`fit` trains a **compiled** Keras model (use :func:`compile_for_training` or
``model.compile``) and adds, on every backend:

- ``TerminateOnNaN``; early stopping on ``monitor`` with ``early_stopping_patience``;
- the best weights (by ``monitor``) restored at the end: Keras' ``EarlyStopping`` keeps them in
  memory, or with ``checkpoint_path`` Keras' ``ModelCheckpoint`` saves them, atomically (written
  beside, then ``os.replace``);
- resumable runs: with ``checkpoint_path='run/best.weights.h5'`` the files are
  ``run/best.weights.h5`` (best weights), ``run/best.backup/`` (Keras' ``BackupAndRestore``:
  weights and optimizer state after the last finished epoch) and ``run/best.state.json``
  (history, whether it stopped early, the shuffle seed). ``resume=True`` continues from there,
  with the data order where it stopped (array inputs are shuffled from ``(seed, epoch)``; a
  ``PyDataset`` gets its ``on_epoch_end`` replayed); without it an old backup is removed.
  ``epochs`` is always the total;
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
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from rnnbook.atomic import atomic_path, write_text_atomic
from rnnbook.validation import positive_int

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


class _NotSaved(Exception):
    """Raised inside ``atomic_path`` to leave the target as it was."""


class _AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras' ``ModelCheckpoint``, but the file is written beside and then moved into place, so a
    crash while saving never leaves a half-written best checkpoint."""

    def _save_model(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        target = self.filepath
        try:
            with atomic_path(target) as tmp:
                self.filepath = str(tmp)
                try:
                    super()._save_model(epoch, batch, logs)
                finally:
                    self.filepath = target
                if tmp.stat().st_size == 0:  # no improvement: nothing written
                    raise _NotSaved
        except _NotSaved:
            pass


class _BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` (weights and optimizer after every epoch, two copies), except
    that an epoch that ended on a non-finite loss is not backed up, and the epoch it restored is
    not left on the model for a later ``fit`` (Keras keeps it in ``model._initial_epoch``)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if math.isfinite(float((logs or {}).get("loss", 0.0))):
            super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        super().on_train_end(logs)
        self.model._initial_epoch = None


class _EpochOrder(keras.utils.PyDataset):
    """Array batches whose order is drawn from ``(seed, epoch)``, for resumable runs.

    Item ``j`` is batch ``j % n`` of epoch ``start_epoch + j // n``: the order depends on the
    index only, so tf.data's prefetching cannot mix epochs, and a resumed run (``start_epoch`` set
    before its first batch) continues the data order where the interrupted one stopped.
    """

    def __init__(self, data: tuple[Any, ...], batch_size: int, seed: int, epochs: int) -> None:
        super().__init__()
        self.data = tuple(part for part in data if part is not None)
        self.batch_size, self.seed, self.epochs = batch_size, seed, epochs
        self.size = len(_first_array(data[0]))
        self.steps_per_epoch = math.ceil(self.size / batch_size)
        self.start_epoch = 0
        self._order: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return self.steps_per_epoch * self.epochs

    def order(self, epoch: int) -> np.ndarray:
        """The permutation of the examples in ``epoch``."""
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(self.size))
        return self._order[1]

    def __getitem__(self, j: int) -> tuple[Any, ...]:
        epoch, i = divmod(j, self.steps_per_epoch)
        rows = self.order(self.start_epoch + epoch)[i * self.batch_size:(i + 1) * self.batch_size]
        return tuple(keras.tree.map_structure(lambda a: a[rows], part) for part in self.data)


def _best(values: Sequence[float], mode: str) -> tuple[int | None, float | None]:
    """0-based index and value of the best finite value (the first of equals), or ``None``s."""
    finite = [i for i, v in enumerate(values) if math.isfinite(v)]
    if not finite:
        return None, None
    index = (min if mode == "min" else max)(finite, key=lambda i: values[i])
    return index, values[index]


class _RunState(keras.callbacks.Callback):
    """History across resumes, the state JSON, resuming the other callbacks and the data order,
    and the per-epoch line. The weights themselves are Keras' callbacks' business."""

    def __init__(self, *, monitor: str, mode: str, epochs: int, verbose: int,
                 throughput: ThroughputCallback, early_stopping: keras.callbacks.EarlyStopping,
                 checkpoint: keras.callbacks.ModelCheckpoint | None, state_path: Path | None,
                 state: dict[str, Any], order: Any) -> None:
        super().__init__()
        self.monitor, self.mode, self.epochs, self.verbose = monitor, mode, epochs, verbose
        self.throughput, self.early_stopping = throughput, early_stopping
        self.checkpoint = checkpoint
        self.state_path, self.state, self.order = state_path, state, order
        self.history: dict[str, list[float]] = {k: list(v) for k, v in
                                                state.get("history", {}).items()}
        self.initial_epoch: int | None = None
        self.stopped_early = bool(state.get("stopped_early", False))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.initial_epoch is not None:
            return
        # the first epoch of this call: `epoch` is where BackupAndRestore's backup ends
        self.initial_epoch = epoch
        self.history = {k: v[:epoch] for k, v in self.history.items()}
        if epoch and self.history.get(self.monitor):
            values = self.history[self.monitor]
            best_index, best = _best(values, self.mode)
            if best is not None:
                self.early_stopping.best, self.early_stopping.best_epoch = best, best_index
                self.early_stopping.wait = len(values) - 1 - best_index
                if self.checkpoint is not None:
                    self.checkpoint.best = best
        if isinstance(self.order, _EpochOrder):
            self.order.start_epoch = epoch
        elif isinstance(self.order, keras.utils.PyDataset):
            for _ in range(epoch):  # replay the epoch ends a PyDataset redraws its order at
                self.order.on_epoch_end()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        if self.monitor not in logs:
            raise ValueError(f"monitor={self.monitor!r} is not among the epoch's metrics "
                             f"{sorted(logs)}")
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        finite = math.isfinite(float(logs.get("loss", 0.0)))
        self.stopped_early = finite and self.early_stopping.stopped_epoch == epoch > 0
        if self.state_path is not None and finite:
            write_text_atomic(self.state_path, json.dumps({
                **self.state, "version": 2, "epoch": epoch + 1, "epochs": self.epochs,
                "monitor": self.monitor, "mode": self.mode, "stopped_early": self.stopped_early,
                "history": self.history}, indent=1))
        if self.verbose:
            values = self.history[self.monitor]
            improved = _best(values, self.mode)[0] == len(values) - 1
            print(self._line(epoch, logs, improved), flush=True)

    def _line(self, epoch: int, logs: dict[str, Any], improved: bool) -> str:
        parts = [f"epoch {epoch + 1}/{self.epochs}"]
        parts += [f"{k} {float(v):.4f}" for k, v in logs.items()]
        if self.throughput.epoch_times_s:
            parts.append(f"{self.throughput.epoch_times_s[-1]:.1f}s")
        if self.throughput.tokens_per_s and self.throughput.tokens_per_s[-1]:
            parts.append(f"{self.throughput.tokens_per_s[-1] / 1000:.1f}k tok/s")
        return " - ".join(parts) + (" *" if improved else "")


@dataclass
class _CheckpointFiles:
    best: Path
    backup: Path
    state: Path

    @classmethod
    def from_path(cls, checkpoint_path: str | os.PathLike[str]) -> _CheckpointFiles:
        path = Path(checkpoint_path)
        if not path.name.endswith(".weights.h5"):
            raise ValueError(f"checkpoint_path must end with '.weights.h5', got {str(path)!r}")
        stem = path.name[: -len(".weights.h5")]
        return cls(path, path.with_name(f"{stem}.backup"), path.with_name(f"{stem}.state.json"))


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


def _start_state(files: _CheckpointFiles, resume: bool, monitor: str, seed: int | None
                 ) -> dict[str, Any]:
    """The state to continue from (``resume``), or a fresh one (an old backup and state removed)."""
    if resume and files.state.exists():
        state = json.loads(files.state.read_text(encoding="utf-8"))
        if state.get("version") != 2:
            raise ValueError(f"resume: {files.state} is from an older rnnbook; start afresh")
        if state.get("monitor") != monitor:
            raise ValueError(f"resume: {files.state} was written with monitor="
                             f"{state.get('monitor')!r}, this run uses monitor={monitor!r}")
        if not files.backup.is_dir():
            raise FileNotFoundError(f"resume: {files.state} exists but {files.backup} is missing")
        return state
    shutil.rmtree(files.backup, ignore_errors=True)  # else BackupAndRestore would resume it
    files.state.unlink(missing_ok=True)
    return {"shuffle_seed": seed if seed is not None else int(np.random.SeedSequence().entropy
                                                               % 2**32)}


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
    epochs = positive_int("epochs", epochs)
    if early_stopping_patience is not None:
        positive_int("early_stopping_patience", early_stopping_patience)
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
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
    state = _start_state(files, resume, monitor, seed) if files else {}

    fit_kwargs: dict[str, Any] = {"x": train, "shuffle": shuffle}
    tokens_per_epoch = steps = None
    if isinstance(train, tuple):
        if len(train) not in (2, 3):
            raise ValueError(f"train must be (x, y) or (x, y, sample_weight), got a tuple of "
                             f"{len(train)}")
        batch_size = batch_size or 32
        n = int(getattr(_first_array(train[0]), "shape", [0])[0])
        tokens_per_epoch = count_tokens(train[0]) if tokens_per_batch is None else None
        steps = math.ceil(n / batch_size) if n else None
        if files is not None and shuffle:  # an order a resumed run can continue
            order = _EpochOrder(train, batch_size, state["shuffle_seed"], epochs)
            fit_kwargs.update(x=order, shuffle=False, steps_per_epoch=order.steps_per_epoch)
        else:
            fit_kwargs.update(y=train[1], batch_size=batch_size,
                              sample_weight=train[2] if len(train) == 3 else None, x=train[0])
    else:
        if batch_size is not None:
            raise ValueError("batch_size applies to array inputs only; batch the dataset itself")
        # only a PyDataset can be shuffled by Keras (batch order), with an order a resumed run
        # cannot continue: a resumable run leaves the order to the PyDataset's on_epoch_end
        fit_kwargs["shuffle"] = shuffle and files is None and isinstance(
            train, keras.utils.PyDataset)
        if tokens_per_batch is None:
            tokens_per_batch = _peek_tokens(train)

    throughput = ThroughputCallback(tokens_per_batch, tokens_per_epoch, steps)
    early_stopping = keras.callbacks.EarlyStopping(
        monitor, mode=mode, patience=early_stopping_patience or epochs,  # `epochs`: never stops
        restore_best_weights=restore_best and files is None)
    checkpoint = None if files is None else _AtomicModelCheckpoint(
        files.best, monitor, mode=mode, save_best_only=True, save_weights_only=True)
    run = _RunState(monitor=monitor, mode=mode, epochs=epochs, verbose=verbose,
                    throughput=throughput, early_stopping=early_stopping, checkpoint=checkpoint,
                    state_path=files.state if files else None, state=state,
                    order=fit_kwargs["x"])
    # the state JSON is written before the backup: a crash between them leaves a state one epoch
    # ahead, which the resumed run cuts back to the backup's epoch
    keras_callbacks = [keras.callbacks.TerminateOnNaN(), throughput, early_stopping,
                       *([checkpoint] if checkpoint else []), run]
    if files is not None:
        keras_callbacks.append(_BackupAndRestore(files.backup, double_checkpoint=True,
                                                 delete_checkpoint=False))
    done = len(next(iter(run.history.values()), []))
    last_epoch = done if run.stopped_early else epochs  # an early-stopped run stays stopped
    model.fit(validation_data=validation, epochs=last_epoch, verbose=0,
              callbacks=[*keras_callbacks, *callbacks], **fit_kwargs)
    initial_epoch = done if run.initial_epoch is None else run.initial_epoch
    if restore_best and files is not None and files.best.exists():
        model.load_weights(files.best)
    best_index, best_value = _best(run.history.get(monitor, []), mode)
    loss = run.history.get("loss", [0.0])
    return FitResult(
        history=run.history, best_epoch=None if best_index is None else best_index + 1,
        best_value=best_value, monitor=monitor,
        epochs_run=len(run.history.get(monitor, [])) - initial_epoch,
        initial_epoch=initial_epoch, wall_time_s=time.perf_counter() - start,
        tokens_per_s=throughput.overall_tokens_per_s, epoch_times_s=throughput.epoch_times_s,
        stopped_early=run.stopped_early, stopped_on_nan=bool(loss) and not math.isfinite(loss[-1]),
        mixed_precision=mixed)
