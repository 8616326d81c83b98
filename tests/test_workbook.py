"""The main job's runner: finds notebooks, executes them headless, reports failures."""

import time

import nbformat
import pytest

from rnnbook import workbook


def _notebook(path, *sources, datasets=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["rnnbook"] = {"datasets": list(datasets)}
    nbformat.write(nb, path)
    return path


def test_find_notebooks_keeps_numbered_ones_in_order(tmp_path):
    for name in ("02_b.ipynb", "00_a.ipynb", "scratch.ipynb", "1_bad.ipynb"):
        _notebook(tmp_path / name, "1")
    assert [p.name for p in workbook.find_notebooks(tmp_path)] == ["00_a.ipynb", "02_b.ipynb"]
    assert [p.name for p in workbook.find_notebooks(tmp_path, ["02"])] == ["02_b.ipynb"]
    with pytest.raises(ValueError, match="--only 07"):
        workbook.find_notebooks(tmp_path, ["07"])


def test_datasets_needed_reads_notebook_metadata_once_each(tmp_path):
    a = _notebook(tmp_path / "00_a.ipynb", "1", datasets=["imdb", "glove"])
    b = _notebook(tmp_path / "01_b.ipynb", "1", datasets=["glove", "spa-eng"])
    assert workbook.datasets_needed([a, b]) == ["imdb", "glove", "spa-eng"]


def test_run_workbook_executes_with_the_variables_and_records_failures(tmp_path, capfd):
    good = _notebook(tmp_path / "00_good.ipynb",
                     "import os\nprint(os.environ['RNNBOOK_PROFILE'])")
    bad = _notebook(tmp_path / "01_bad.ipynb", "raise RuntimeError('boom')")
    lines = []
    runs = workbook.run_workbook(
        [good, bad], tmp_path / "out", variables={"RNNBOOK_PROFILE": "smoke"},
        timeout_s=120, log=lambda *a, **k: lines.append(" ".join(map(str, a))),
    )
    assert [r.ok for r in runs] == [True, False]
    assert "boom" in runs[1].error
    assert "\x1b" not in runs[1].error, "the summary is plain text, without terminal colours"
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "00_good.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "smoke"
    assert nbformat.read(good, as_version=4).cells[0].outputs == [], "source left untouched"
    assert any("FAILED" in line for line in lines)
    # the kernels talk over local sockets and are shut down: no kernel warnings in the output
    captured = capfd.readouterr()
    assert "TCP" not in captured.err + captured.out
    assert "Parent appears to have exited" not in captured.err + captured.out


def test_parallel_run_keeps_order_and_writes_a_notebook_stopped_at_the_deadline(tmp_path):
    quick = _notebook(tmp_path / "00_quick.ipynb",
                      "import os\nprint(os.environ['RNNBOOK_PROFILE'])")
    slow = _notebook(tmp_path / "01_slow.ipynb", "print('started')", "import time\ntime.sleep(60)",
                     "print('never')")
    lines = []
    start = time.monotonic()
    runs = workbook.run_workbook(
        [quick, slow], tmp_path / "out", variables={"RNNBOOK_PROFILE": "smoke"},
        timeout_s=120, jobs=2, deadline_s=15,
        log=lambda *a, **k: lines.append(" ".join(map(str, a))),
    )
    assert time.monotonic() - start < 50, "the deadline stopped the sleeping cell"
    assert [r.notebook.name for r in runs] == ["00_quick.ipynb", "01_slow.ipynb"]
    assert runs[0].ok and not runs[1].ok
    assert runs[1].error == "stopped at the run's deadline (in code cell 2)"
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "01_slow.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "started", "what ran is kept"
    assert executed.cells[2].outputs == []
    quick_out = nbformat.read(tmp_path / "out" / "notebooks" / "00_quick.ipynb", as_version=4)
    assert quick_out.cells[0].outputs[0]["text"].strip() == "smoke", "variables reach each job"
    assert any("01_slow.ipynb" in line and "FAILED" in line for line in lines)


def test_in_place_replaces_only_the_notebooks_that_ran_without_error(tmp_path):
    good = _notebook(tmp_path / "00_good.ipynb", "print('fresh')")
    bad = _notebook(tmp_path / "01_bad.ipynb", "print('half')", "raise RuntimeError('boom')")
    committed_bad = bad.read_bytes()
    runs = workbook.run_workbook([good, bad], tmp_path / "out", variables={}, timeout_s=120,
                                 in_place=True, log=lambda *a, **k: None)
    assert runs[0].ok and runs[0].executed == good
    assert nbformat.read(good, as_version=4).cells[0].outputs[0]["text"].strip() == "fresh"
    assert not runs[1].ok and runs[1].executed == tmp_path / "out" / "notebooks" / bad.name
    assert bad.read_bytes() == committed_bad, "a failed run leaves the committed copy alone"
    half = nbformat.read(runs[1].executed, as_version=4)
    assert half.cells[0].outputs[0]["text"].strip() == "half", "the failed run is kept to read"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], \
        "no temporary file is left beside the notebooks"


def test_stopping_a_parallel_run_writes_no_half_run_notebook(tmp_path):
    """Killing `rnnbook run --jobs N` takes its workers with it: none writes a notebook later."""
    import os
    import signal
    import subprocess
    import sys

    slow = _notebook(tmp_path / "01_slow.ipynb", "import time\ntime.sleep(20)")
    script = (f"from pathlib import Path\nfrom rnnbook import workbook\n"
              f"workbook.run_workbook([Path({str(slow)!r})], Path({str(tmp_path / 'out')!r}), "
              f"variables={{}}, timeout_s=120, jobs=2)")
    parent = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(8)  # the worker has started the kernel and the sleeping cell
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    time.sleep(20)  # past the cell's end: an orphaned worker would have written by now
    assert not (tmp_path / "out" / "notebooks" / "01_slow.ipynb").exists()


def test_cell_timeout_is_the_nearer_of_the_cell_limit_and_the_deadline():
    now = time.time()
    assert workbook._cell_timeout(120, None) == 120
    assert workbook._cell_timeout(120, now + 3600) == 120
    assert 25 <= workbook._cell_timeout(120, now + 30) <= 30
    assert workbook._cell_timeout(120, now - 5) == 1, "past the deadline: stop at once"


def test_native_stderr_goes_to_a_log_python_stderr_to_the_notebook(tmp_path):
    nb = _notebook(tmp_path / "00_logs.ipynb",
                   "import os, sys, warnings\n"
                   "os.write(2, b'native line from C\\n')\n"
                   "print('python stderr line', file=sys.stderr)\n"
                   "warnings.warn('a python warning')")
    runs = workbook.run_workbook([nb], tmp_path / "out", variables={}, timeout_s=120,
                                 log=lambda *a, **k: None)
    assert runs[0].ok
    outputs = nbformat.read(tmp_path / "out" / "notebooks" / "00_logs.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in outputs.cells[0].outputs)
    assert "python stderr line" in text and "a python warning" in text
    assert "native line" not in text
    log = (tmp_path / "out" / "logs" / "00_logs.stderr.log").read_text()
    assert "native line from C" in log


def test_importing_rnnbook_changes_nothing_global():
    """No import hook, no environment variable set, stderr (file descriptor 2) left alone: what
    TensorFlow prints when the package pulls it in reaches the caller's stderr."""
    import os
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "before = (list(sys.meta_path), dict(os.environ), os.readlink('/proc/self/fd/2'))\n"
        "import rnnbook\n"
        "assert list(sys.meta_path) == before[0], sys.meta_path\n"
        "assert dict(os.environ) == before[1], set(os.environ.items()) ^ set(before[1].items())\n"
        "import rnnbook.training, rnnbook.models  # pulls in Keras and its backend\n"
        "ours = [f for f in sys.meta_path if type(f).__module__.startswith('rnnbook')]\n"
        "assert not ours, ours\n"
        "assert os.readlink('/proc/self/fd/2') == before[2]\n"
        "os.write(2, b'fd2 still reaches the caller\\n')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "fd2 still reaches the caller" in done.stderr
