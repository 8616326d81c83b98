"""Every student notebook runs end to end with every exercise left unsolved, on the hand-made
sample data at the smoke profile: each check prints one line and hands the library's reference to
the cells below, so "Run All" reaches the end. Marked ``student`` (scripts/run_tests.sh runs these
as their own step)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rnnbook.exercises import is_numbered_notebook
from rnnbook.workbook import execute_notebook

REPO = Path(__file__).resolve().parents[1]
STUDENT = sorted(p for p in (REPO / "notebooks" / "exercises").glob("*.ipynb")
                 if is_numbered_notebook(p))
OLD_STYLE_CHECK = re.compile(r"^nb\d\d\.check_\w+\(\w+\)\s*$", re.M)
STUB = "raise NotImplementedError()"

pytestmark = pytest.mark.student


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.name)
def test_every_check_call_keeps_what_it_returns(path: Path):
    """``x = nbNN.check_x(x)``: a bare call would discard the reference an unsolved exercise
    falls back to, and the cells after it would fail."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    bare = [source for source in code if OLD_STYLE_CHECK.search(source)]
    assert not bare, f"{path.name}: {bare}"


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.name)
def test_student_notebook_runs_unsolved_on_samples(path: Path, tmp_path, monkeypatch):
    for key, value in {"RNNBOOK_PROFILE": "smoke", "RNNBOOK_SAMPLES": "1",
                       "RNNBOOK_RESULTS_DIR": str(tmp_path / "results"),
                       "RNNBOOK_DATA_DIR": str(tmp_path / "cache"),
                       "MPLBACKEND": "module://matplotlib_inline.backend_inline"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS", raising=False)  # a learner's lenient run
    monkeypatch.delenv("RNNBOOK_DATA_MIRROR", raising=False)  # offline: samples only
    committed = REPO / "results" / f"{path.stem}.json"
    before = committed.read_bytes() if committed.exists() else None
    executed = tmp_path / path.name
    run = execute_notebook(path, executed, timeout_s=900)
    assert run.ok, f"{path.name} stops when its exercises are unsolved: {run.error}"
    nb = nbformat.read(executed, as_version=4)
    stubs = sum(c.source.count(STUB) for c in nb.cells if c.cell_type == "code")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    fallbacks = text.count("The cells below use the library's reference")
    assert fallbacks == stubs, f"{stubs} unsolved exercises, {fallbacks} fallback messages"
    assert "Traceback" not in text
    # the learner's run wrote its results where it was told, never over the committed ones
    assert (tmp_path / "results" / f"{path.stem}.json").is_file()
    assert (committed.read_bytes() if committed.exists() else None) == before
