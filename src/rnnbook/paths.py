"""Where the checkout's folders are: one place that knows the repository layout."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

RESULTS_ENV = "RNNBOOK_RESULTS_DIR"


@cache
def checkout_root() -> Path | None:
    """The repository root when running from a checkout (it holds ``datasets/registry.toml``)."""
    for parent in Path(__file__).resolve().parents:
        has_registry = (parent / "datasets" / "registry.toml").is_file()
        if has_registry and (parent / "pyproject.toml").is_file():
            return parent
    return None


def results_dir() -> Path:
    """Where notebooks write ``<stem>.json``: ``RNNBOOK_RESULTS_DIR``, else
    ``<checkout>/build/results``.

    The committed ``results/`` is written only by an explicit refresh (``rnnbook run
    --in-place`` sets ``RNNBOOK_RESULTS_DIR`` to it); a learner running a notebook by hand writes
    beside the checkout's build outputs and never over the committed numbers.
    """
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    root = checkout_root()
    return (root if root else Path.cwd()) / "build" / "results"


def committed_results_dir() -> Path:
    """The checkout's committed ``results/`` folder (what ``rnnbook run --in-place`` refreshes)."""
    return (checkout_root() or Path.cwd()) / "results"
