"""The main job's runner: finds notebooks, executes them headless, reports failures."""

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
