"""Figures for the notebooks; each function returns a ``matplotlib.figure.Figure``.

Figures are made with ``matplotlib.figure.Figure`` directly (no pyplot state, no ``show``), so
they work under any backend, never pile up in memory, and display in Jupyter when returned as a
cell's last expression (or via ``display(fig)``); save them with ``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_history", "plot_gradient_norms", "plot_attention", "plot_confusion_matrix"]


def _history_dict(history: Any) -> dict[str, Sequence[float]]:
    """A plain ``{metric: values}`` from a dict, a Keras ``History`` or a ``FitResult``."""
    inner = getattr(history, "history", history)
    if not isinstance(inner, Mapping):
        raise TypeError(f"expected a history dict, keras History or FitResult, got "
                        f"{type(history).__name__}")
    return dict(inner)


def _is_single_history(histories: Any) -> bool:
    if hasattr(histories, "history"):
        return True
    return isinstance(histories, Mapping) and all(
        isinstance(v, Sequence | np.ndarray) and not isinstance(v, str) for v in histories.values())


def plot_history(
    histories: Mapping[str, Any] | Any,
    metric: str = "loss",
    *,
    include_validation: bool = True,
    title: str | None = None,
) -> Figure:
    """Training (solid) and validation (dashed, if present) ``metric`` per epoch.

    ``histories`` is one history (a ``{metric: values}`` dict, a Keras ``History`` or a
    :class:`rnnbook.training.FitResult`) or a dict ``{run name: history}`` to compare runs.
    """
    if isinstance(histories, Mapping) and not histories:
        raise ValueError("histories is empty")
    runs = {"": histories} if _is_single_history(histories) else dict(histories)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    colors = [f"C{i % 10}" for i in range(len(runs))]
    for (name, run), color in zip(runs.items(), colors, strict=True):
        hist = _history_dict(run)
        if metric not in hist:
            raise KeyError(f"metric {metric!r} not in history{f' {name!r}' if name else ''}; "
                           f"available: {sorted(hist)}")
        for key, style, label in ((metric, "-", "train"), (f"val_{metric}", "--", "validation")):
            if key not in hist or (key != metric and not include_validation):
                continue
            values = np.asarray(hist[key], float)
            if values.ndim != 1:
                raise ValueError(f"history[{key!r}] must be 1-D (one value per epoch), got "
                                 f"shape {values.shape}")
            full = f"{name} ({label})" if name else label
            ax.plot(np.arange(1, len(values) + 1), values, style, color=color, label=full)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title or metric)
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def plot_gradient_norms(
    norms_by_label: Mapping[str, np.ndarray | Sequence[float]],
    *,
    xlabel: str = "time step t",
    ylabel: str = r"$\|\partial h_T / \partial h_t\|$",
    title: str | None = None,
) -> Figure:
    """One line per label on a log y axis (e.g. the output of ``hidden_jacobian_norms``)."""
    if not norms_by_label:
        raise ValueError("norms_by_label is empty")
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    for label, norms in norms_by_label.items():
        values = np.asarray(norms, float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"norms for {label!r} must be a non-empty 1-D array, got shape "
                             f"{values.shape}")
        ax.plot(np.arange(values.size), values, marker=".", label=str(label))
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "gradient norms")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return fig


def plot_attention(
    weights: np.ndarray,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    *,
    title: str | None = None,
) -> Figure:
    """Heat map of attention ``weights`` ``[T_out, T_in]``: rows are target tokens, columns
    source tokens."""
    w = np.asarray(weights, float)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D [T_out, T_in], got shape {w.shape}")
    if w.shape != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(f"weights shape {w.shape} does not match (len(tgt_tokens), "
                         f"len(src_tokens)) = ({len(tgt_tokens)}, {len(src_tokens)})")
    fig = Figure(figsize=(1 + 0.45 * w.shape[1], 1 + 0.4 * w.shape[0]), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(w, cmap="viridis", aspect="auto", vmin=0.0)
    ax.set_xticks(range(len(src_tokens)), [str(t) for t in src_tokens], rotation=90)
    ax.set_yticks(range(len(tgt_tokens)), [str(t) for t in tgt_tokens])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title or "attention")
    fig.colorbar(image, ax=ax)
    return fig


def plot_confusion_matrix(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    labels: Sequence[str],
    *,
    normalize: str | None = None,
    title: str | None = None,
) -> Figure:
    """Confusion matrix (rows true, columns predicted) via scikit-learn, annotated per cell.

    ``y_true`` / ``y_pred`` hold label strings from ``labels`` or integer class ids
    ``0 .. len(labels) - 1``. ``normalize`` is ``None``, ``'true'``, ``'pred'`` or ``'all'``.
    """
    from sklearn.metrics import confusion_matrix

    true, pred = np.asarray(y_true), np.asarray(y_pred)
    if true.ndim != 1 or true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred must be 1-D and the same length, got shapes "
                         f"{true.shape} and {pred.shape}")
    if not labels:
        raise ValueError("labels is empty")
    if np.issubdtype(true.dtype, np.integer) and np.issubdtype(pred.dtype, np.integer):
        keys: Sequence[Any] = list(range(len(labels)))
        if true.size and (min(true.min(), pred.min()) < 0
                          or max(true.max(), pred.max()) >= len(labels)):
            raise ValueError(f"class ids must lie in [0, {len(labels)}) to match labels")
    else:
        keys = list(labels)
        unknown = (set(true.tolist()) | set(pred.tolist())) - set(keys)
        if unknown:
            raise ValueError(f"labels {sorted(map(str, unknown))} are not in labels={list(keys)}")
    matrix = confusion_matrix(true, pred, labels=keys, normalize=normalize)
    fig = Figure(figsize=(1.5 + 0.6 * len(labels), 1.2 + 0.6 * len(labels)),
                 layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), [str(label) for label in labels], rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), [str(label) for label in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "confusion matrix")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        ax.text(j, i, text, ha="center", va="center",
                color="white" if value > threshold else "black", fontsize=8)
    fig.colorbar(image, ax=ax)
    return fig
