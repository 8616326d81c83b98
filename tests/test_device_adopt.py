"""scripts/device_adopt.py: only finished, clean notebooks from a GPU run replace committed ones."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path

import nbformat
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "device_adopt.py"


@pytest.fixture(scope="module")
def device_adopt():
    spec = importlib.util.spec_from_file_location("device_adopt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notebook(path: Path, text: str, *, error: bool = False) -> None:
    cell = nbformat.v4.new_code_cell("print('x')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if error:
        cell.outputs.append(nbformat.v4.new_output("error", ename="RuntimeError", evalue="boom",
                                                   traceback=[]))
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _results(path: Path, stem: str, device: str, profile: str = "full") -> None:
    record = {"notebook": stem, "profile": profile, "device": device, "backend": "jax",
              "samples": False, "wall_time_s": 12.0, "metrics": {"accuracy": 0.9}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record), encoding="utf-8")


BENCH_ROW = {"cell": "gru", "layers": 1, "bidirectional": False, "seq_len": 100, "batch": 64,
             "masked": False, "length_aware": False, "units": 128, "backend": "jax",
             "step_ms": 1.0, "tokens_per_s": 6400.0, "reference_step_ms": 2.0,
             "reference_tokens_per_s": 3200.0, "ratio": 2.0}


@pytest.fixture
def checkout_and_archive(tmp_path):
    root, run = tmp_path / "checkout", tmp_path / "run"
    for stem in ("00_done", "01_stopped", "02_failed", "03_leaky", "04_smoke"):  # committed
        _notebook(root / "notebooks" / f"{stem}.ipynb", "committed\n")
        _results(root / "results" / f"{stem}.json", stem, "CPU (2 cores)")
    (root / "results" / "bench.json").write_text(json.dumps(
        {"rows": [{**BENCH_ROW, "device": "CPU (2 cores)"}]}), encoding="utf-8")
    (root / "docs").mkdir()
    _notebook(run / "notebooks" / "00_done.ipynb", "from the GPU\n")
    _results(run / "results" / "00_done.json", "00_done", "NVIDIA H200")
    _notebook(run / "notebooks" / "01_stopped.ipynb", "half\n")  # no results: stopped
    _notebook(run / "notebooks" / "02_failed.ipynb", "half\n", error=True)
    _results(run / "results" / "02_failed.json", "02_failed", "NVIDIA H200")
    _notebook(run / "notebooks" / "03_leaky.ipynb", "File /tmp/rnnbook-site/keras/x.py, line 3\n")
    _results(run / "results" / "03_leaky.json", "03_leaky", "NVIDIA H200")
    _notebook(run / "notebooks" / "04_smoke.ipynb", "tiny\n")
    _results(run / "results" / "04_smoke.json", "04_smoke", "NVIDIA H200", profile="smoke")
    (run / "bench.json").write_text(json.dumps({"rows": [{**BENCH_ROW, "device": "NVIDIA H200"}]}),
                                    encoding="utf-8")
    archive = tmp_path / "workbook-run.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("notebooks", "results", "bench.json"):
            tar.add(run / name, arcname=name)
    return root, archive


def _committed(root: Path, stem: str) -> str:
    nb = nbformat.read(root / "notebooks" / f"{stem}.ipynb", as_version=4)
    return nb.cells[0].outputs[0].text


def test_only_finished_clean_notebooks_are_adopted(device_adopt, checkout_and_archive):
    root, archive = checkout_and_archive
    lines = []
    adopted = device_adopt.adopt(archive, root, log=lines.append)
    assert adopted == ["00_done"]
    assert _committed(root, "00_done") == "from the GPU\n"
    device = json.loads((root / "results" / "00_done.json").read_text())["device"]
    assert device == "NVIDIA H200"
    for stem in ("01_stopped", "02_failed", "03_leaky", "04_smoke"):
        assert _committed(root, stem) == "committed\n", stem
        assert json.loads((root / "results" / f"{stem}.json").read_text())["device"] == \
            "CPU (2 cores)"
    text = "\n".join(lines)
    assert "01_stopped: no results file" in text
    assert "02_failed: error output in cell(s) [1]" in text
    assert "03_leaky: absolute path in 03_leaky.ipynb" in text
    assert "04_smoke: profile smoke, samples False: only real runs" in text
    rows = json.loads((root / "results" / "bench.json").read_text())["rows"]
    assert sorted(r["device"] for r in rows) == ["CPU (2 cores)", "NVIDIA H200"], "merged"
    assert "NVIDIA H200" in (root / "docs" / "results.md").read_text()
    assert (root / "docs" / "benchmarks.md").is_file()
    assert (root / "notebooks" / "exercises" / "00_done.ipynb").is_file(), "students regenerated"


def test_dry_run_changes_nothing(device_adopt, checkout_and_archive):
    root, archive = checkout_and_archive
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert device_adopt.adopt(archive, root, dry_run=True, log=lambda line: None) == ["00_done"]
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_an_archive_without_notebooks_is_refused(device_adopt, tmp_path):
    archive = tmp_path / "other.tar.gz"
    (tmp_path / "x.txt").write_text("x")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    with pytest.raises(SystemExit, match="no notebooks/NN_"):
        device_adopt.adopt(archive, tmp_path, log=lambda line: None)
