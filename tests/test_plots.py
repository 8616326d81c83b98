"""Tests for rnnbook.plots: each function returns a Figure with the expected content."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnbook.plots import plot_attention, plot_confusion_matrix, plot_gradient_norms, plot_history

HIST = {"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.7, 1.6], "accuracy": [0.3, 0.5, 0.6]}


class FakeHistory:
    def __init__(self, history):
        self.history = history


def test_plot_history_single_and_compare():
    fig = plot_history(HIST)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 2
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])

    fig = plot_history({"gru": HIST, "lstm": FakeHistory({"loss": [1.0, 0.5]})})
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["gru (train)", "gru (validation)", "lstm (train)"]
    assert len(plot_history(HIST, include_validation=False).axes[0].lines) == 1
    assert plot_history(HIST, "accuracy").axes[0].get_ylabel() == "accuracy"


def test_plot_history_errors():
    with pytest.raises(KeyError, match="f1"):
        plot_history(HIST, "f1")
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    with pytest.raises(ValueError, match="1-D"):
        plot_history({"loss": [[1.0, 2.0]]})


def test_plot_gradient_norms_log_axis():
    norms = {"tanh, w=0.5": 0.5 ** np.arange(10)[::-1], "linear, w=2": 2.0 ** np.arange(10)}
    fig = plot_gradient_norms(norms)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(norms)
    with pytest.raises(ValueError, match="1-D"):
        plot_gradient_norms({"bad": np.ones((2, 2))})
    with pytest.raises(ValueError, match="empty"):
        plot_gradient_norms({})


def test_plot_attention():
    weights = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
    fig = plot_attention(weights, ["yo", "tengo", "un", "gato"], ["i", "have", "cat"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["yo", "tengo", "un", "gato"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["i", "have", "cat"]
    np.testing.assert_allclose(ax.images[0].get_array(), weights)
    with pytest.raises(ValueError, match="does not match"):
        plot_attention(weights.T, ["yo", "tengo", "un", "gato"], ["i", "have", "cat"])
    with pytest.raises(ValueError, match="2-D"):
        plot_attention(weights[0], ["a"], ["b"])


def test_plot_confusion_matrix():
    fig = plot_confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], ["neg", "neu", "pos"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["neg", "neu", "pos"]
    assert len(ax.texts) == 9
    fig = plot_confusion_matrix(["a", "b", "b"], ["a", "a", "b"], ["a", "b"], normalize="true")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), [[1, 0], [0.5, 0.5]])
    with pytest.raises(ValueError, match="same length"):
        plot_confusion_matrix([0, 1], [0], ["a", "b"])
    with pytest.raises(ValueError, match="class ids"):
        plot_confusion_matrix([0, 3], [0, 1], ["a", "b"])
    with pytest.raises(ValueError, match="not in labels"):
        plot_confusion_matrix(["a", "z"], ["a", "a"], ["a", "b"])
