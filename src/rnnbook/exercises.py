"""Generate the student notebooks in ``notebooks/exercises/`` from the numbered solution notebooks.

Follows nbgrader's ``ClearSolutions`` markers, without nbgrader's Jupyter server stack:

- In a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included)
  become ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the indentation of the
  ``BEGIN`` line. A marker is a line that is exactly the marker once surrounding whitespace is
  stripped; any other code line mentioning ``BEGIN SOLUTION``/``END SOLUTION`` is an error, so a
  mistyped marker can never leak a solution.
- In a markdown cell, the lines from ``<!-- BEGIN SOLUTION -->`` to ``<!-- END SOLUTION -->``
  (or nbgrader's ``###`` markers) are removed, markers included.
- Solution-only prose: the same markdown markers hide model answers to the open questions and any
  sentence about outputs the learner has not produced yet; a markdown cell left empty is dropped.
- CI markers (``# NBVAL_CHECK_OUTPUT`` and the other ``# NBVAL_*`` comment lines) are removed from
  code cells: they mean nothing to a learner.
- Outputs and execution counts are cleared; cell metadata is reduced to :data:`KEPT_CELL_METADATA`
  (so nbgrader/execution metadata is dropped); the kernelspec is :data:`KERNELSPEC` (the one
  ipykernel installs, so JupyterLab does not mark the notebook modified on opening); check cells
  and every other cell are kept as is.
- Files are written as nbformat JSON (sorted keys, one trailing newline), so regenerating is
  byte-stable, and a student notebook is its own student version.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from rnnbook.atomic import write_text_atomic

__all__ = [
    "CODE_STUB",
    "KERNELSPEC",
    "ExerciseMarkerError",
    "build_student_release",
    "generate_student_versions",
    "is_numbered_notebook",
    "make_student_notebook",
    "notebook_text",
    "solution_lines",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
MD_BEGIN_SOLUTION = "<!-- BEGIN SOLUTION -->"
MD_END_SOLUTION = "<!-- END SOLUTION -->"
CODE_STUB: tuple[str, ...] = ("# YOUR CODE HERE", "raise NotImplementedError()")
KEPT_CELL_METADATA = frozenset(
    {"deletable", "editable", "format", "jupyter", "name", "slideshow", "tags"}
)
KEPT_NOTEBOOK_METADATA = frozenset({"authors", "kernelspec", "language_info", "title"})
_NUMBERED = re.compile(r"^\d{2}_[^/\\]*\.ipynb$")
_NBVAL_MARKER = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")
#: The kernelspec ipykernel installs as ``python3``; a notebook whose metadata says otherwise is
#: marked modified by JupyterLab as soon as it opens (tests/test_notebook_hygiene.py checks both).
KERNELSPEC: dict[str, str] = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}


class ExerciseMarkerError(ValueError):
    """Solution markers that do not pair up; the message names the notebook, cell and line."""


def is_numbered_notebook(path: str | os.PathLike[str]) -> bool:
    """True for notebook files named like ``NN_*.ipynb`` (the ones that get student versions)."""
    return bool(_NUMBERED.match(Path(path).name))


def _markers(cell_type: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(begin markers, end markers) of a cell type; the first of each is used in messages."""
    if cell_type == "code":
        return (BEGIN_SOLUTION,), (END_SOLUTION,)
    if cell_type == "markdown":  # nbgrader's own markers work in markdown too
        return (MD_BEGIN_SOLUTION, BEGIN_SOLUTION), (MD_END_SOLUTION, END_SOLUTION)
    return None


def _regions(source: str, cell_type: str, where: str) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(line_no, line, kind)`` with kind 'begin', 'end', 'inside' or 'outside'."""
    markers = _markers(cell_type)
    if markers is None:
        for n, line in enumerate(source.split("\n"), 1):
            yield n, line, "outside"
        return
    begins, ends = markers
    begin, end = begins[0], ends[0]
    inside_since = 0
    for n, line in enumerate(source.split("\n"), 1):
        stripped = line.strip()
        if stripped in begins:
            if inside_since:
                raise ExerciseMarkerError(
                    f"{where}, line {n}: '{begin}' inside the solution region opened at line "
                    f"{inside_since}; close it with '{end}' first"
                )
            inside_since = n
            yield n, line, "begin"
        elif stripped in ends:
            if not inside_since:
                raise ExerciseMarkerError(
                    f"{where}, line {n}: '{end}' without a '{begin}' before it"
                )
            inside_since = 0
            yield n, line, "end"
        else:
            if cell_type == "code" and ("BEGIN SOLUTION" in line or "END SOLUTION" in line):
                raise ExerciseMarkerError(
                    f"{where}, line {n}: malformed solution marker {stripped!r}; a marker line "
                    f"must be exactly '{begin}' or '{end}'"
                )
            yield n, line, "inside" if inside_since else "outside"
    if inside_since:
        raise ExerciseMarkerError(
            f"{where}, line {inside_since}: '{begin}' has no matching '{end}'"
        )


def _clear_solutions(source: str, cell_type: str, where: str) -> str:
    out: list[str] = []
    for _, line, kind in _regions(source, cell_type, where):
        if kind == "outside":
            if cell_type == "code" and _NBVAL_MARKER.match(line):
                continue  # a CI marker: means nothing to a learner
            out.append(line)
        elif kind == "begin" and cell_type == "code":
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in CODE_STUB)
    return "\n".join(out)


def make_student_notebook(nb: NotebookNode, *, name: str = "notebook") -> NotebookNode:
    """Return the student version of ``nb`` (a copy; ``nb`` is not modified).

    ``name`` (e.g. the file name) is used in error messages about unbalanced markers.
    """
    student = copy.deepcopy(nb)
    student.metadata = NotebookNode(
        {k: v for k, v in nb.metadata.items() if k in KEPT_NOTEBOOK_METADATA}
    )
    student.metadata["kernelspec"] = NotebookNode(dict(KERNELSPEC))
    kept = []
    for index, cell in enumerate(student.cells):
        where = f"{name}: cell {index} ({cell.cell_type})"
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        cell.source = _clear_solutions(source, cell.cell_type, where)
        if cell.cell_type == "markdown" and source.strip() and not cell.source.strip():
            continue  # a cell that held only solution prose (a model answer)
        kept.append(cell)
        cell.metadata = NotebookNode(
            {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
        )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    student.cells = kept
    return student


def notebook_text(nb: NotebookNode) -> str:
    """Deterministic nbformat JSON for ``nb`` (sorted keys, indent 1, ending with a newline)."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def solution_lines(nb: NotebookNode) -> set[str]:
    """Stripped, non-blank lines inside solution regions that appear nowhere outside them.

    A student version must contain none of these (used by the leak test).
    """
    inside: set[str] = set()
    outside: set[str] = set()
    for index, cell in enumerate(nb.cells):
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        for _, line, kind in _regions(source, cell.cell_type, f"cell {index}"):
            if kind == "inside":
                inside.add(line.strip())
            elif kind == "outside":
                outside.add(line.strip())
    return inside - outside - set(CODE_STUB) - {""}


def generate_student_versions(
    src_dir: str | os.PathLike[str] = "notebooks",
    out_dir: str | os.PathLike[str] = "notebooks/exercises",
    *,
    check: bool = False,
) -> list[Path]:
    """Write the student version of every ``src_dir/NN_*.ipynb`` into ``out_dir``.

    Only files whose content would change are written; numbered notebooks in ``out_dir`` with no
    source any more are deleted. Returns the paths that changed (or, with ``check=True``, that
    are stale: missing, different or orphaned) — ``check=True`` writes nothing.
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"src_dir {src} is not a directory of notebooks")
    sources = sorted(p for p in src.glob("*.ipynb") if is_numbered_notebook(p))
    changed: list[Path] = []
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        text = notebook_text(make_student_notebook(nb, name=str(path)))
        target = out / path.name
        current = target.read_bytes() if target.exists() else None
        if current != text.encode("utf-8"):
            changed.append(target)
            if not check:
                write_text_atomic(target, text)
    wanted = {p.name for p in sources}
    if out.is_dir():
        for orphan in sorted(out.glob("*.ipynb")):
            if is_numbered_notebook(orphan) and orphan.name not in wanted:
                changed.append(orphan)
                if not check:
                    orphan.unlink()
    return changed


LEARNER_README = """\
# RNN Workbook: the learner's material

These notebooks are the exercise versions of the RNN Workbook. Write your code where a cell says
`# YOUR CODE HERE`, then run the check cell below it. A check tells you precisely what differs
(a shape, a value and where) or prints a line starting with ✓. You can run the whole notebook
before solving anything: cells after an unsolved exercise use the library's reference answer and
say so in one line.

## Install

Python 3.11 or 3.12 and pip:

    python -m venv .venv && . .venv/bin/activate
    pip install "$(ls rnnbook-*.whl)[tensorflow,notebooks]"   # the wheel in this folder
    jupyter lab notebooks/

(If there is no wheel here, install the `rnnbook` package the way your instructor says.)

`rnnbook env` prints the backend, device and versions. `KERAS_BACKEND=jax` or `torch` (with
`rnnbook[jax,notebooks]` / `rnnbook[torch,notebooks]`) works as well as TensorFlow.

## Data

Notebook 01 needs no data. The others read the datasets listed by `rnnbook data list`:
`rnnbook data fetch all` downloads and checks them (about 1 GB, once, into the package's cache;
`RNNBOOK_DATA_DIR` moves it), and `rnnbook data verify all` checks every file's sha256. Offline,
`RNNBOOK_SAMPLES=1` runs every notebook on small hand-made files shipped with the package: the code
works the same, the numbers mean nothing.

## Sizes

`RNNBOOK_PROFILE=smoke` (minutes), `cpu` (about 30 minutes per notebook on a laptop) or `full`
(a GPU) sizes the data, epochs and models; the default is `cpu` without a GPU. Your results are
written to a `build/results/` folder beside the notebook (or to `RNNBOOK_RESULTS_DIR`).
"""


def build_student_release(
    root: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    wheel: bool = False,
) -> list[Path]:
    """Write the learner's material alone into ``out_dir`` and return the files written.

    ``out_dir`` gets ``notebooks/NN_*.ipynb`` (student versions made now from the solutions in
    ``root/notebooks``), ``notebooks/figures/`` (the diagrams they show), ``README.md`` (install
    and data instructions) and, with ``wheel=True``, the ``rnnbook`` wheel built by
    ``pip wheel``. No solution notebook and no executed output goes in. ``out_dir`` must be new,
    empty, or an earlier release (it holds a ``README.md`` and a ``notebooks`` folder); it is
    replaced.
    """
    import shutil
    import subprocess
    import sys

    root, out = Path(root), Path(out_dir)
    src = root / "notebooks"
    sources = sorted(p for p in src.glob("*.ipynb") if is_numbered_notebook(p))
    if not sources:
        raise FileNotFoundError(f"{src}: no numbered notebooks to make a release from")
    o, r, n = out.resolve(), root.resolve(), src.resolve()
    if o in {r, n} or n in o.parents or o in r.parents:
        raise ValueError(f"out_dir {out} would overwrite the solution notebooks; pick another")
    if out.exists() and any(out.iterdir()):
        if not ((out / "README.md").is_file() and (out / "notebooks").is_dir()):
            raise FileExistsError(f"out_dir {out} is not empty and is not an earlier release")
        shutil.rmtree(out)
    written: list[Path] = []
    for path in sources:
        nb = make_student_notebook(nbformat.read(path, as_version=4), name=str(path))
        target = out / "notebooks" / path.name
        write_text_atomic(target, notebook_text(nb))
        written.append(target)
    figures = src / "figures"
    if figures.is_dir():
        for figure in sorted(figures.iterdir()):
            if figure.is_file():
                target = out / "notebooks" / "figures" / figure.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(figure, target)
                written.append(target)
    write_text_atomic(out / "README.md", LEARNER_README)
    written.append(out / "README.md")
    if wheel:
        before = set(out.glob("*.whl"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--wheel-dir", str(out), str(root)], check=True)
        written.extend(sorted(set(out.glob("*.whl")) - before))
    return written
