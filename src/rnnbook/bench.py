"""`rnnbook bench`: training speed of Keras recurrent layers against native PyTorch.

For each shape (cell, layers, direction, sequence length, batch, masked or not) the same
many-to-one model is trained for a fixed number of steps twice: once in Keras on the current
backend, once written directly in PyTorch (`torch.nn.RNN/GRU/LSTM`, cuDNN on a GPU, with
`pack_padded_sequence` for the masked rows) as the reference. Both see the same token ids,
embedding width, units, loss (binary cross-entropy on the last state) and optimizer (Adam).

A step's time is the median of ``repeats`` timed steps after ``warmup`` untimed ones (which
absorb graph building and XLA/TorchScript compilation); every timed step ends by reading the loss
back to the host, which synchronises the device. Tokens/s counts input positions, padding
included, so masked and unmasked rows are comparable. This is a benchmark: nothing asserts a
speed.

``precision`` is a Keras dtype policy: ``float32``, or ``mixed_float16`` / ``mixed_bfloat16``
(float16/bfloat16 compute, float32 weights); the PyTorch reference then runs under
``torch.autocast`` with the same 16-bit type, so a row still compares like with like.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

CELLS = ("simple", "gru", "lstm")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
ROW_KEY = ("cell", "layers", "bidirectional", "seq_len", "batch", "masked", "length_aware",
           "precision", "backend", "device")


@dataclass(frozen=True)
class BenchShape:
    """One row of the benchmark: what is trained."""

    cell: str
    layers: int
    bidirectional: bool
    seq_len: int
    batch: int
    masked: bool
    length_aware: bool = False  # masked rows only: LengthAwareRNN instead of a Keras mask


@dataclass(frozen=True)
class BenchSize:
    """How big each model is and how long each row is timed."""

    units: int
    embedding_dim: int
    vocab_size: int
    warmup: int
    repeats: int


def grid(
    *,
    cells: Iterable[str] = CELLS,
    layers: Iterable[int] = (1, 2),
    bidirectional: Iterable[bool] = (False, True),
    seq_lens: Iterable[int] = (100, 400),
    batches: Iterable[int] = (64, 256),
    masked: Iterable[bool] = (False, True),
    length_aware: bool = True,
) -> list[BenchShape]:
    """Every combination of the given values, as shapes.

    With ``length_aware``, each masked shape also comes as a `LengthAwareRNN` row: the same
    masked semantics computed without handing the mask to the recurrent layer.
    """
    shapes = []
    for c, n, b, t, bs, m in itertools.product(
        cells, layers, bidirectional, seq_lens, batches, masked
    ):
        shapes.append(BenchShape(c, n, b, t, bs, m))
        if m and length_aware:
            shapes.append(BenchShape(c, n, b, t, bs, m, length_aware=True))
    return shapes


# `tiny` runs in CI in seconds; `cpu` fits a 2-core machine in minutes (one length and batch);
# `pick` is the two rows the GPU run times per backend and precision to choose the fastest: the
# shapes the notebooks train at `full` (a length-aware 2-layer BiLSTM as in notebooks 03 and 04,
# a dense 2-layer GRU as in notebook 02), each compile included in the budget; `full` is
# the whole grid (every cell, depth, direction and mask at T=100/B=64 and T=400/B=256), for a GPU.
GRIDS: dict[str, tuple[list[BenchShape], BenchSize]] = {
    "tiny": (
        grid(layers=(1,), bidirectional=(False,), seq_lens=(20,), batches=(8,)),
        BenchSize(units=16, embedding_dim=8, vocab_size=50, warmup=1, repeats=3),
    ),
    "cpu": (
        grid(seq_lens=(100,), batches=(64,)),
        BenchSize(units=128, embedding_dim=64, vocab_size=1000, warmup=2, repeats=5),
    ),
    "pick": (
        [BenchShape("lstm", 2, True, 100, 64, masked=True, length_aware=True),
         BenchShape("gru", 2, False, 100, 64, masked=False)],
        BenchSize(units=256, embedding_dim=128, vocab_size=1000, warmup=3, repeats=10),
    ),
    "full": (
        grid(seq_lens=(100,), batches=(64,)) + grid(seq_lens=(400,), batches=(256,)),
        BenchSize(units=256, embedding_dim=128, vocab_size=1000, warmup=3, repeats=10),
    ),
}


def make_batch(shape: BenchShape, vocab_size: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Token ids `[B, T]` (right-padded with 0 when masked), lengths `[B]` and labels `[B, 1]`."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab_size, size=(shape.batch, shape.seq_len)).astype("int32")
    if shape.masked:
        lengths = rng.integers(max(1, shape.seq_len // 4), shape.seq_len + 1, size=shape.batch)
        x[np.arange(shape.seq_len)[None, :] >= lengths[:, None]] = 0
    else:
        lengths = np.full(shape.batch, shape.seq_len)
    y = rng.integers(0, 2, size=(shape.batch, 1)).astype("float32")
    return x, lengths.astype("int64"), y


def median_step_seconds(step: Callable[[], Any], *, warmup: int, repeats: int) -> float:
    """Median wall time of ``step()`` over ``repeats`` calls after ``warmup`` untimed ones.

    ``step`` must return only once the device has finished (e.g. by reading the loss back).
    """
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def keras_step(shape: BenchShape, size: BenchSize) -> Callable[[], float]:
    """A function that runs one Keras training step on a fixed batch and returns the loss."""
    import keras

    from rnnbook.models.recurrent import build_recurrent_stack, make_embedding

    x, _, y = make_batch(shape, size.vocab_size)
    inputs = keras.Input(shape=(shape.seq_len,), dtype="int32")
    h = make_embedding(size.vocab_size, size.embedding_dim, mask_zero=shape.masked)(inputs)
    h = build_recurrent_stack(
        h,
        cell=shape.cell,
        units=size.units,
        num_layers=shape.layers,
        bidirectional=shape.bidirectional,
        length_aware=shape.length_aware,
    )
    outputs = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")

    def step() -> float:
        return float(model.train_on_batch(x, y))  # float(...) waits for the device

    return step


def torch_reference_step(
    shape: BenchShape, size: BenchSize, precision: str = "float32"
) -> Callable[[], float]:
    """The same model and step written directly in PyTorch (cuDNN on a GPU).

    A mixed ``precision`` runs the forward pass under ``torch.autocast`` with its 16-bit type.
    """
    import contextlib

    import torch
    from torch import nn

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    rnn_class = {"simple": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[shape.cell]
    directions = 2 if shape.bidirectional else 1

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(size.vocab_size, size.embedding_dim, padding_idx=0)
            self.rnn = rnn_class(
                size.embedding_dim,
                size.units,
                num_layers=shape.layers,
                batch_first=True,
                bidirectional=shape.bidirectional,
            )
            self.head = nn.Linear(size.units * directions, 1)

        def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            h = self.embedding(x)
            if shape.masked:
                h = nn.utils.rnn.pack_padded_sequence(
                    h, lengths, batch_first=True, enforce_sorted=False
                )
            _, state = self.rnn(h)
            last = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
            last = last.view(shape.layers, directions, x.shape[0], size.units)[-1]
            return self.head(torch.cat(list(last), dim=-1))

    x, lengths, y = make_batch(shape, size.vocab_size)
    x_t = torch.as_tensor(x, dtype=torch.long, device=device)
    y_t = torch.as_tensor(y, device=device)
    lengths_t = torch.as_tensor(lengths)  # pack_padded_sequence wants lengths on the CPU
    model = Reference().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    half = {"mixed_float16": torch.float16, "mixed_bfloat16": torch.bfloat16}.get(precision)

    def autocast() -> contextlib.AbstractContextManager:
        if half is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device, dtype=half)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model(x_t, lengths_t).float(), y_t)
        loss.backward()
        optimizer.step()
        return float(loss.item())  # .item() waits for the device

    return step


def run_bench(
    shapes: Iterable[BenchShape],
    size: BenchSize,
    *,
    reference: bool = True,
    precision: str = "float32",
    log: Callable[[str], None] = print,
    on_row: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Time every shape on the current Keras backend (and in PyTorch); return one row each.

    ``precision`` is the Keras dtype policy the models are built under (restored afterwards).
    ``on_row(rows_so_far)`` is called after each row, e.g. to save partial results.
    """
    import keras

    from rnnbook.config import environment_report

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    report = environment_report()
    rows = []
    previous_policy = keras.mixed_precision.global_policy().name
    for shape in shapes:
        tokens = shape.batch * shape.seq_len
        keras.backend.clear_session()
        keras.mixed_precision.set_global_policy(precision)
        try:
            ours = median_step_seconds(keras_step(shape, size), warmup=size.warmup,
                                       repeats=size.repeats)
        except Exception as error:  # noqa: BLE001 - one shape a backend cannot run ends no run
            log(f"skipped {shape} on {report['backend']}, {precision}: {_one_line(error)}")
            continue
        finally:
            keras.mixed_precision.set_global_policy(previous_policy)
        ref, reference_error = None, None
        if reference:
            try:
                ref = median_step_seconds(torch_reference_step(shape, size, precision),
                                          warmup=size.warmup, repeats=size.repeats)
            except Exception as error:  # noqa: BLE001 - e.g. no fp16 LSTM in oneDNN on a CPU
                reference_error = _one_line(error)
        row = {
            **asdict(shape),
            "precision": precision,
            "units": size.units,
            "backend": report["backend"],
            "device": report["device"],
            "step_ms": 1000 * ours,
            "tokens_per_s": tokens / ours,
            "reference_step_ms": None if ref is None else 1000 * ref,
            "reference_tokens_per_s": None if ref is None else tokens / ref,
            "ratio": None if ref is None else ref / ours,
        }
        if reference_error:
            row["reference_error"] = reference_error
        rows.append(row)
        log(format_row(row))
        if on_row is not None:
            on_row(rows)
    return rows


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


def row_precision(row: dict[str, Any]) -> str:
    """The row's dtype policy (rows written before precision was recorded ran in float32)."""
    return row.get("precision") or "float32"


def _row_key(row: dict[str, Any], fields: tuple[str, ...] = ROW_KEY) -> tuple:
    """The row's values of ``fields`` (older rows: ``length_aware`` False, ``float32``)."""
    values = {"length_aware": bool(row.get("length_aware")), "precision": row_precision(row)}
    return tuple(values[k] if k in values else row[k] for k in fields)


def _shape_key(row: dict[str, Any]) -> tuple:
    return _row_key(row, tuple(k for k in ROW_KEY if k not in ("precision", "backend", "device")))


def fastest_setting(rows: Iterable[dict[str, Any]]) -> tuple[str, str]:
    """The (backend, precision) with the highest geometric-mean tokens/s.

    Only shapes that every (backend, precision) pair in ``rows`` ran are compared.
    """
    rows = list(rows)
    settings = sorted({(r["backend"], row_precision(r)) for r in rows})
    if not settings:
        raise ValueError("no bench rows to choose a backend from")
    common = set.intersection(*[
        {_shape_key(r) for r in rows if (r["backend"], row_precision(r)) == s} for s in settings
    ])
    if not common:
        raise ValueError("the bench rows of the settings compared share no shape")

    def score(setting: tuple[str, str]) -> float:
        speeds = [
            r["tokens_per_s"] for r in rows
            if (r["backend"], row_precision(r)) == setting and _shape_key(r) in common
        ]
        return float(np.exp(np.mean(np.log(speeds))))

    return max(settings, key=score)


def format_row(row: dict[str, Any]) -> str:
    """One aligned line for the terminal."""
    direction = "bi" if row["bidirectional"] else "uni"
    kind = "dense " if not row["masked"] else ("length" if row.get("length_aware") else "masked")
    ratio = "" if row["ratio"] is None else f"  ratio {row['ratio']:.2f}"
    precision = "" if row_precision(row) == "float32" else f" {row_precision(row)}"
    reference = (
        "" if row["reference_tokens_per_s"] is None
        else f"  torch.nn {row['reference_tokens_per_s']:>11,.0f}"
    )
    return (
        f"{row['backend']:10}{precision} {row['cell']:6} {row['layers']}x {direction:3} "
        f"T={row['seq_len']:<4} B={row['batch']:<4} {kind:6}  "
        f"{row['tokens_per_s']:>11,.0f} tok/s{reference}{ratio}"
    )


def merge_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` with any row of the same shape, backend and device replaced by ``new``'s."""
    replaced = {_row_key(r) for r in new}
    return [r for r in old if _row_key(r) not in replaced] + list(new)
