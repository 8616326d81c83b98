"""The main job: execute the numbered notebooks headless, in order, and summarise their results."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from rnnbook.atomic import atomic_path

NOTEBOOK_PATTERN = re.compile(r"^\d\d_.+\.ipynb$")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class NotebookRun:
    """What happened to one notebook: its executed copy, wall time and error (if any)."""

    notebook: Path
    executed: Path
    wall_time_s: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def find_notebooks(directory: Path, only: Sequence[str] = ()) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` in order; ``only`` keeps those whose name starts so."""
    paths = sorted(p for p in Path(directory).iterdir() if NOTEBOOK_PATTERN.match(p.name))
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
        if not paths:
            raise ValueError(f"--only {' '.join(only)}: no notebook in {directory} matches")
    return paths


def datasets_needed(notebooks: Iterable[Path]) -> list[str]:
    """Datasets the notebooks declare in their metadata (``metadata.rnnbook.datasets``)."""
    names: list[str] = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for name in nb.metadata.get("rnnbook", {}).get("datasets", []):
            if name not in names:
                names.append(name)
    return names


def missing_data(names: Iterable[str]) -> list[str]:
    """Fetch each dataset (cache → mirror → download); return one message per dataset not had."""
    from rnnbook.datasets import DatasetError, fetch

    problems = []
    for name in names:
        try:
            fetch(name)
        except DatasetError as error:
            problems.append(f"[{name}] {error}")
    return problems


@contextmanager
def _environment(variables: dict[str, str]):
    """Set environment variables for the kernels started inside the block, then restore them."""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute_notebook(path: Path, executed: Path, *, timeout_s: int,
                     native_log: Path | None = None,
                     deadline: float | None = None) -> NotebookRun:
    """Run every cell of ``path`` in a fresh kernel (cwd = its folder) and write the result.

    What the kernel process writes to its file descriptor 2 (TensorFlow's C++ start-up lines,
    which ``TF_CPP_MIN_LOG_LEVEL`` cannot hide) goes to ``native_log``, not into the cells'
    outputs; Python's ``sys.stderr`` (warnings, tracebacks) still reaches the notebook.
    ``deadline`` (a ``time.time()`` value) stops the notebook in the cell running then; a
    notebook stopped by an error, a timeout or the deadline is still written, with the outputs
    of the cells that ran, so a cut-short run still shows how far it got and how fast.
    """
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    # Local IPC sockets instead of TCP: nothing listens on the network, and the kernel does not
    # print its "running over TCP without encryption" warning on every run.
    sockets = tempfile.mkdtemp(prefix="rnnbook-kernel-")
    # The asynchronous manager: with the blocking one, nbclient's cell timeouts never fire.
    km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                            ip=os.path.join(sockets, "k"))
    started: list[int] = []  # indices of the cells begun, the last one is running
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout_s,
        timeout_func=lambda cell: _cell_timeout(timeout_s, deadline),
        on_cell_start=lambda cell, cell_index: started.append(cell_index),
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    native_log = native_log or Path(sockets) / "stderr.log"
    native_log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    error = None
    stopped = False
    try:
        with native_log.open("wb") as native_stderr:
            client.execute(stderr=native_stderr)
    except CellExecutionError as exc:
        text = ANSI_ESCAPE.sub("", str(exc)).strip()  # IPython colours its tracebacks
        error = text.splitlines()[-1] if text else repr(exc)
    except (CellTimeoutError, DeadKernelError) as exc:
        stopped = True
        past_deadline = deadline is not None and time.time() >= deadline - 1
        error = ("stopped at the run's deadline" if past_deadline else
                 ANSI_ESCAPE.sub("", str(exc)).strip().splitlines()[0])
        if started:
            code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
            error += f" (in code cell {code_cells.index(started[-1]) + 1})"
    finally:
        if km.has_kernel:  # nbclient leaves a kernel it did not start running
            run_sync(km.shutdown_kernel)(now=stopped)  # a stopped kernel may still be busy
        shutil.rmtree(sockets, ignore_errors=True)
    wall = time.perf_counter() - start
    from rnnbook.exercises import KERNELSPEC

    # the installed kernel's own spec, so that JupyterLab does not mark the notebook modified
    nb.metadata["kernelspec"] = nbformat.NotebookNode(dict(KERNELSPEC))
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    return NotebookRun(path, executed, wall, error)


def _cell_timeout(timeout_s: int, deadline: float | None) -> int:
    """Seconds the next cell may run: ``timeout_s``, or less when the deadline is nearer."""
    if deadline is None:
        return timeout_s
    return max(1, min(timeout_s, int(deadline - time.time())))


def run_workbook(
    notebooks: Sequence[Path],
    out_dir: Path,
    *,
    variables: dict[str, str],
    in_place: bool = False,
    timeout_s: int = 3600,
    jobs: int = 1,
    deadline_s: float | None = None,
    log=print,
) -> list[NotebookRun]:
    """Execute ``notebooks`` with ``variables`` set; executed copies go to ``out_dir``.

    ``jobs`` > 1 runs that many notebooks at once, each in its own kernel (a GPU has room for
    several small recurrent models; the notebooks share nothing but the read-only data cache).
    ``deadline_s`` bounds the whole run: a notebook still running then is stopped and written
    as far as it got.
    """
    deadline = None if deadline_s is None else time.time() + deadline_s

    def arguments(path: Path) -> tuple:
        target = out_dir / "notebooks" / path.name
        log_path = out_dir / "logs" / f"{path.stem}.stderr.log"
        return path, target, timeout_s, log_path, deadline, path if in_place else None

    with _environment(variables):
        if jobs <= 1:
            runs = []
            for index, path in enumerate(notebooks, start=1):
                log(f"[{index}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
                run = _execute(*arguments(path))
                log(_status(run))
                runs.append(run)
            return runs
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        log(f"running {len(notebooks)} notebooks, {jobs} at a time")
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                 initializer=_stop_with_parent) as pool:
            futures = {pool.submit(_execute, *arguments(path)): path for path in notebooks}
            for future in as_completed(futures):
                run = future.result()
                log(f"{run.notebook.name}: {_status(run)}", flush=True)
        return [future.result() for future in futures]  # in the notebooks' order


def _stop_with_parent() -> None:
    """In a worker: end when the parent ends (Linux), so that stopping `rnnbook run` does not
    leave workers that write half-run notebooks (in place, with --in-place) after it is gone."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _execute(path: Path, target: Path, timeout_s: int, native_log: Path,
             deadline: float | None, publish_to: Path | None) -> NotebookRun:
    """Execute into ``target``; with ``publish_to`` (``--in-place``), a run that succeeded then
    replaces that file atomically. A failed or stopped run never overwrites the committed copy:
    it stays in ``target`` for reading."""
    run = execute_notebook(path, target, timeout_s=timeout_s, native_log=native_log,
                           deadline=deadline)
    if publish_to is None or not run.ok:
        return run
    with atomic_path(publish_to) as tmp:
        shutil.copyfile(target, tmp)
    return replace(run, executed=publish_to)


def _status(run: NotebookRun) -> str:
    return f"{run.wall_time_s:.0f} s, " + ("ok" if run.ok else f"FAILED: {run.error}")
