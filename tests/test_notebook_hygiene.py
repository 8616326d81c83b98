"""Checkout hygiene a learner notices: notebooks that open clean in JupyterLab, no absolute paths
of the machine that produced a file, results that a hand-run never writes over, and one answer to
"are we on the sample data?"."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from rnnbook.exercises import KERNELSPEC

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").rglob("[0-9][0-9]_*.ipynb"))


def test_kernelspec_constant_is_the_installed_kernels():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(KERNELSPEC["name"])
    assert spec.display_name == KERNELSPEC["display_name"]
    assert spec.language == KERNELSPEC["language"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO / "notebooks")))
def test_notebook_kernelspec_opens_clean_in_jupyterlab(path: Path):
    # JupyterLab rewrites a kernelspec that differs from the kernel's and marks the file modified
    kernelspec = dict(nbformat.read(path, as_version=4).metadata.get("kernelspec", {}))
    assert kernelspec == KERNELSPEC, f"{path.name}: kernelspec {kernelspec}"


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / name for name in out.decode().split("\0") if name]


ANYWHERE = re.compile(r"(?<![\w.])/(?:work|root|home|Users)/[\w.-]")
# /tmp/ is a legitimate working path in scripts (the device run); it must not appear in what a
# reader sees: notebooks and their outputs, docs, results, the data README.
READER_FACING_TMP = re.compile(r"(?<![\w.])/tmp/")


def _reader_facing(rel: str) -> bool:
    return (rel.endswith((".ipynb", ".md")) or rel.startswith(("docs/", "results/"))
            or rel == "datasets/README.md")


def test_no_committed_file_holds_an_absolute_path_of_the_machine():
    offenders = []
    for path in _tracked_files():
        rel = path.relative_to(REPO).as_posix()
        if rel == "tests/test_notebook_hygiene.py" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (figures)
        for n, line in enumerate(text.splitlines(), 1):
            if ANYWHERE.search(line) or (_reader_facing(rel) and READER_FACING_TMP.search(line)):
                offenders.append(f"{rel}:{n}: {line.strip()[:120]}")
    assert not offenders, "absolute machine paths:\n" + "\n".join(offenders)


def test_the_path_pattern_catches_what_it_should():
    assert ANYWHERE.search("data read from /work/shared/datasets/imdb")
    assert ANYWHERE.search("'/root/.keras/keras.json'")
    assert not ANYWHERE.search("see ../shared/datasets and <mirror>/imdb")
    assert READER_FACING_TMP.search("wrote /tmp/x.json") and not READER_FACING_TMP.search("a/tmp/")


def test_hand_run_results_never_go_to_the_committed_folder(monkeypatch, tmp_path):
    from rnnbook.config import get_profile
    from rnnbook.paths import checkout_root, committed_results_dir, results_dir
    from rnnbook.results import save_results

    monkeypatch.delenv("RNNBOOK_RESULTS_DIR", raising=False)
    assert results_dir() == checkout_root() / "build" / "results"
    assert results_dir() != committed_results_dir() == REPO / "results"
    monkeypatch.setenv("RNNBOOK_RESULTS_DIR", str(tmp_path))  # what `rnnbook run` sets
    save_results("99_x", {"a": 1}, profile=get_profile("smoke"), wall_time_s=0)
    assert (tmp_path / "99_x.json").is_file()


def test_rnnbook_run_in_place_is_the_only_writer_of_committed_results(monkeypatch, tmp_path):
    from rnnbook import cli, workbook

    seen = {}

    def fake_run(notebooks, out_dir, *, variables, in_place, **options):
        seen[in_place] = variables["RNNBOOK_RESULTS_DIR"]
        seen["options"] = options
        return []

    monkeypatch.setattr(workbook, "run_workbook", fake_run)
    monkeypatch.setenv("RNNBOOK_SAMPLES", "1")  # no data check
    for extra in ([], ["--in-place"]):
        cli.main(["run", "--only", "01", "--profile", "smoke", "--out", str(tmp_path), *extra])
    assert seen[False] == str(tmp_path.resolve() / "results")
    assert seen[True] == str(REPO / "results")
    assert seen["options"] == {"timeout_s": 3600, "jobs": 1, "deadline_s": None}, "in order"


@pytest.mark.parametrize("option, value", [("--jobs", "0"), ("--deadline", "-5"),
                                           ("--timeout", "soon")])
def test_rnnbook_run_refuses_a_count_that_is_not_positive(option, value, capsys):
    from rnnbook import cli

    with pytest.raises(SystemExit):
        cli.main(["run", option, value])
    assert f"argument {option}: expected a whole number of at least 1, got '{value}'" in (
        capsys.readouterr().err)


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True),
                                             ("0", False), ("", False), ("false", False)])
def test_one_function_decides_samples_mode_everywhere(monkeypatch, value, expected, tmp_path):
    from rnnbook.config import environment_report, format_report, get_profile, samples_mode
    from rnnbook.datasets.resolver import samples_mode as resolver_samples_mode
    from rnnbook.results import save_results

    monkeypatch.setenv("RNNBOOK_SAMPLES", value)
    assert samples_mode() is resolver_samples_mode() is expected
    report = environment_report(get_profile("smoke"))
    assert report["samples"] is expected
    assert ("SAMPLE DATA" in format_report(report)) is expected
    record = save_results("99_x", {"a": 1}, profile=get_profile("smoke"), wall_time_s=0,
                          directory=tmp_path)
    assert record["samples"] is expected


def test_rnnbook_run_banner_follows_samples_mode(monkeypatch, tmp_path, capsys):
    from rnnbook import cli, workbook

    captured = {}
    monkeypatch.setattr(workbook, "run_workbook",
                        lambda notebooks, out_dir, *, variables, **kw: captured.update(variables)
                        or [])
    monkeypatch.setenv("RNNBOOK_SAMPLES", "true")
    cli.main(["run", "--only", "01", "--profile", "smoke", "--out", str(tmp_path)])
    assert captured["RNNBOOK_SAMPLES"] == "1"
    assert "SAMPLE DATA" in capsys.readouterr().out


def test_rnnbook_run_writes_the_installed_kernelspec(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    from rnnbook.workbook import execute_notebook

    nb = new_notebook(cells=[new_code_cell("print(6 * 7)")], metadata={"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})
    source = tmp_path / "01_x.ipynb"
    nbformat.write(nb, source)
    run = execute_notebook(source, tmp_path / "out" / "01_x.ipynb", timeout_s=120)
    assert run.ok
    executed = nbformat.read(run.executed, as_version=4)
    assert dict(executed.metadata.kernelspec) == KERNELSPEC
    assert executed.cells[0].outputs[0]["text"] == "42\n"


def test_importing_the_datasets_prints_no_progress_bar_warning_in_a_kernel(tmp_path):
    """pooch imports tqdm.auto, which warns "IProgress not found" in a kernel without ipywidgets
    (it did on the GPU machine, in every notebook's first output)."""
    from nbformat.v4 import new_code_cell, new_notebook

    from rnnbook.workbook import execute_notebook

    nb = new_notebook(cells=[
        new_code_cell("import sys\nsys.modules['ipywidgets'] = None  # as if not installed"),
        new_code_cell("import rnnbook.datasets\nimport tqdm.auto\nprint('imported')"),
    ])
    source = tmp_path / "00_imports.ipynb"
    nbformat.write(nb, source)
    run = execute_notebook(source, tmp_path / "out.ipynb", timeout_s=120)
    assert run.ok, run.error
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[1].outputs
    text = "".join(o.get("text", "") for o in outputs)
    assert "imported" in text and "IProgress" not in text
