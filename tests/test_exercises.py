"""Tests for rnnbook.exercises (student notebooks) and rnnbook.checks (the check framework)."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rnnbook.checks import (
    Case,
    ExerciseCheckFailed,
    check_cases,
    compare_arrays,
    expect_close,
    expect_equal,
    expect_shape,
    passed,
    run_learner,
)
from rnnbook.exercises import (
    KERNELSPEC,
    ExerciseMarkerError,
    build_student_release,
    generate_student_versions,
    is_numbered_notebook,
    make_student_notebook,
    notebook_text,
    solution_lines,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EXERCISES = NOTEBOOKS / "exercises"
REPO_NOTEBOOKS = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if is_numbered_notebook(p))

SETUP = "import numpy as np\nfrom rnnbook.checks import nb01"
SOLUTION = """\
def rnn_step(x, h, W, U, b):
    \"\"\"One step of a simple RNN.\"\"\"
    ### BEGIN SOLUTION
    z = x @ W + h @ U + b
    return np.tanh(z)
    ### END SOLUTION"""
TOP_LEVEL = """\
### BEGIN SOLUTION
answer = 42
### END SOLUTION
print(answer)"""
CHECK = "nb01.check_rnn_step(rnn_step)"
PROSE = (
    "Write `rnn_step`.\n\n"
    "<!-- BEGIN SOLUTION -->\nThe answer is tanh.\n<!-- END SOLUTION -->\nDone."
)


def make_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "widgets": {"state": "big"},
        }
    )
    nb.cells = [
        new_markdown_cell("# 01 Test notebook", id="title"),
        new_code_cell(SETUP, id="setup", execution_count=1),
        new_markdown_cell(PROSE, id="prose"),
        new_code_cell(SOLUTION, id="solution", execution_count=2),
        new_code_cell(TOP_LEVEL, id="top", execution_count=3),
        new_code_cell(CHECK, id="check", execution_count=4),
    ]
    nb.cells[3].metadata = {"nbgrader": {"solution": True}, "tags": ["exercise"], "scrolled": True}
    nb.cells[4].outputs = [new_output("stream", name="stdout", text="42\n")]
    nb.cells[5].outputs = [new_output("stream", name="stdout", text="✓ rnn_step: correct\n")]
    return nb


# ------------------------------------------------------------------ make_student_notebook
def test_solution_lines_replaced_by_indented_stub():
    student = make_student_notebook(make_notebook())
    assert student.cells[3].source == (
        "def rnn_step(x, h, W, U, b):\n"
        '    """One step of a simple RNN."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )
    assert student.cells[4].source == (
        "# YOUR CODE HERE\nraise NotImplementedError()\nprint(answer)"
    )


def test_stub_raises_not_implemented_when_executed():
    student = make_student_notebook(make_notebook())
    namespace: dict = {"np": np}
    exec(student.cells[3].source, namespace)
    with pytest.raises(NotImplementedError):
        namespace["rnn_step"](1, 2, 3, 4, 5)
    with pytest.raises(NotImplementedError):
        exec(student.cells[4].source, {})


def test_solution_itself_still_runs():
    namespace: dict = {"np": np}
    exec(make_notebook().cells[3].source, namespace)
    one = np.ones((1, 1))
    assert namespace["rnn_step"](one, one, one, -one, 0 * one) == 0.0


def test_outputs_counts_and_revealing_metadata_cleared():
    nb = make_notebook()
    student = make_student_notebook(nb)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert student.cells[3].metadata == {"tags": ["exercise"]}
    assert "widgets" not in student.metadata and "kernelspec" in student.metadata
    assert nb.cells[4].outputs and nb.cells[3].metadata["nbgrader"]  # input not modified


def test_markdown_solution_removed_and_other_cells_untouched():
    nb = make_notebook()
    student = make_student_notebook(nb)
    assert student.cells[2].source == "Write `rnn_step`.\n\nDone."
    for i in (0, 1, 5):
        assert student.cells[i].source == nb.cells[i].source
        assert student.cells[i].id == nb.cells[i].id
    assert student.cells[5].source == CHECK  # the check cell is kept
    assert len(student.cells) == len(nb.cells)


def test_nbgrader_markers_also_work_in_markdown():
    nb = new_notebook(cells=[new_markdown_cell("Q?\n### BEGIN SOLUTION\nA.\n### END SOLUTION")])
    assert make_student_notebook(nb).cells[0].source == "Q?"


@pytest.mark.parametrize(
    "source, match",
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2", r"line 2: '### BEGIN SOLUTION' has no matching"),
        ("### END SOLUTION\nx = 1", r"line 1: '### END SOLUTION' without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", r"line 2: .* inside"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", r"line 1: malformed solution marker"),
    ],
)
def test_unbalanced_markers_name_notebook_and_cell(source, match):
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell(source)])
    with pytest.raises(ExerciseMarkerError, match=match) as info:
        make_student_notebook(nb, name="01_demo.ipynb")
    assert "01_demo.ipynb: cell 1 (code)" in str(info.value)


def test_unbalanced_markdown_marker():
    nb = new_notebook(cells=[new_markdown_cell("<!-- BEGIN SOLUTION -->\nsecret")])
    with pytest.raises(ExerciseMarkerError, match="cell 0 .*no matching '<!-- END SOLUTION -->'"):
        make_student_notebook(nb, name="02_x.ipynb")


def test_idempotent_and_byte_stable():
    nb = make_notebook()
    student = make_student_notebook(nb)
    text = notebook_text(student)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert notebook_text(make_student_notebook(student)) == text  # student of student
    assert notebook_text(make_student_notebook(make_notebook())) == text  # deterministic
    assert notebook_text(nbformat.reads(text, as_version=4)) == text  # survives a round trip


def test_solution_lines_finds_only_hidden_lines():
    lines = solution_lines(make_notebook())
    assert lines == {
        "z = x @ W + h @ U + b", "return np.tanh(z)", "answer = 42", "The answer is tanh."
    }  # fmt: skip
    student_text = notebook_text(make_student_notebook(make_notebook()))
    assert not any(line in student_text for line in lines)


# ------------------------------------------------------------------ generate_student_versions
def write_nb(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_generate_writes_checks_and_removes_orphans(tmp_path):
    src, out = tmp_path / "notebooks", tmp_path / "notebooks" / "exercises"
    write_nb(src / "01_intro.ipynb", make_notebook())
    write_nb(src / "scratch.ipynb", make_notebook())  # not numbered: ignored
    assert generate_student_versions(src, out, check=True) == [out / "01_intro.ipynb"]
    assert not out.exists()  # check mode writes nothing

    assert generate_student_versions(src, out) == [out / "01_intro.ipynb"]
    assert sorted(p.name for p in out.iterdir()) == ["01_intro.ipynb"]
    first = (out / "01_intro.ipynb").read_bytes()
    assert first.decode() == notebook_text(make_student_notebook(make_notebook()))
    assert generate_student_versions(src, out) == []  # nothing changes the second time
    assert generate_student_versions(src, out, check=True) == []
    assert (out / "01_intro.ipynb").read_bytes() == first

    (out / "01_intro.ipynb").write_text("edited by hand", encoding="utf-8")
    write_nb(out / "09_gone.ipynb", make_notebook())
    stale = [out / "01_intro.ipynb", out / "09_gone.ipynb"]
    assert generate_student_versions(src, out, check=True) == stale
    assert generate_student_versions(src, out) == stale
    assert sorted(p.name for p in out.iterdir()) == ["01_intro.ipynb"]
    assert (out / "01_intro.ipynb").read_bytes() == first


def test_generate_reports_bad_notebook_by_path(tmp_path):
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION")])
    write_nb(tmp_path / "03_bad.ipynb", nb)
    with pytest.raises(ExerciseMarkerError, match=r"03_bad\.ipynb: cell 0"):
        generate_student_versions(tmp_path, tmp_path / "exercises")


def test_generate_missing_src_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="src_dir"):
        generate_student_versions(tmp_path / "missing", tmp_path / "out")


def test_is_numbered_notebook():
    assert is_numbered_notebook("notebooks/01_intro.ipynb")
    assert not is_numbered_notebook("notebooks/1_intro.ipynb")
    assert not is_numbered_notebook("notebooks/intro.ipynb")
    assert not is_numbered_notebook("notebooks/01_intro.py")


def test_nbval_markers_removed_from_student_code():
    nb = new_notebook(cells=[
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)"),
        new_code_cell("x = 1  # NBVAL_CHECK_OUTPUT is only a marker on its own line\n"
                      "  # NBVAL_IGNORE_OUTPUT\ny = 2"),
    ])
    student = make_student_notebook(nb)
    assert student.cells[0].source == "print(1)"
    assert student.cells[1].source == (
        "x = 1  # NBVAL_CHECK_OUTPUT is only a marker on its own line\ny = 2")
    assert nb.cells[0].source.startswith("# NBVAL_CHECK_OUTPUT")  # the solution keeps it


def test_markdown_cell_that_is_all_answer_is_dropped():
    nb = new_notebook(cells=[
        new_markdown_cell("## Open questions\n\n1. Why?"),
        new_markdown_cell("<!-- BEGIN SOLUTION -->\n**Answer.** Because.\n<!-- END SOLUTION -->"),
        new_markdown_cell(""),  # an empty cell that was empty before stays
    ])
    student = make_student_notebook(nb)
    assert [c.source for c in student.cells] == ["## Open questions\n\n1. Why?", ""]
    assert solution_lines(nb) == {"**Answer.** Because."}


def test_student_kernelspec_is_ipykernels():
    student = make_student_notebook(make_notebook())
    assert student.metadata["kernelspec"] == KERNELSPEC
    assert KERNELSPEC["display_name"] == "Python 3 (ipykernel)"


def test_release_holds_student_material_only(tmp_path):
    root = tmp_path / "repo"
    write_nb(root / "notebooks" / "01_intro.ipynb", make_notebook())
    (root / "notebooks" / "figures").mkdir()
    (root / "notebooks" / "figures" / "cell.svg").write_text("<svg/>", encoding="utf-8")
    out = tmp_path / "release"
    written = build_student_release(root, out)
    names = sorted(str(p.relative_to(out)) for p in written)
    assert names == ["README.md", "notebooks/01_intro.ipynb", "notebooks/figures/cell.svg"]
    text = (out / "notebooks" / "01_intro.ipynb").read_text(encoding="utf-8")
    assert "np.tanh(z)" not in text and "The answer is tanh." not in text
    assert "raise NotImplementedError()" in text
    assert "rnnbook data fetch all" in (out / "README.md").read_text(encoding="utf-8")
    assert build_student_release(root, out) == written  # an earlier release is replaced


def test_release_refuses_to_overwrite_other_folders(tmp_path):
    root = tmp_path / "repo"
    write_nb(root / "notebooks" / "01_intro.ipynb", make_notebook())
    with pytest.raises(ValueError, match="overwrite the solution notebooks"):
        build_student_release(root, root / "notebooks")
    with pytest.raises(ValueError, match="overwrite the solution notebooks"):
        build_student_release(root, root / "notebooks" / "exercises")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not an earlier release"):
        build_student_release(root, busy)
    assert (busy / "thesis.tex").exists()
    with pytest.raises(FileNotFoundError, match="no numbered notebooks"):
        build_student_release(tmp_path / "empty", tmp_path / "out")


# ------------------------------------------------------------------ the repository's notebooks
@pytest.mark.parametrize("path", REPO_NOTEBOOKS, ids=lambda p: p.name)
def test_repo_student_version_is_up_to_date(path: Path):
    nb = nbformat.read(path, as_version=4)
    target = EXERCISES / path.name
    assert target.exists(), f"{target} is missing: run `rnnbook exercises`"
    expected = notebook_text(make_student_notebook(nb, name=str(path)))
    assert target.read_text(encoding="utf-8") == expected, (
        f"{target} is stale: run `rnnbook exercises`"
    )


@pytest.mark.parametrize("path", REPO_NOTEBOOKS, ids=lambda p: p.name)
def test_repo_student_version_leaks_no_solution(path: Path):
    hidden = solution_lines(nbformat.read(path, as_version=4))
    target = EXERCISES / path.name
    if not target.exists():
        pytest.fail(f"{target} is missing: run `rnnbook exercises`")
    student = nbformat.read(target, as_version=4)
    shown = {line.strip() for cell in student.cells for line in cell.source.split("\n")}
    leaked = sorted(hidden & shown)
    assert not leaked, f"{target} shows solution lines: {leaked}"


def test_repo_has_no_orphan_or_stale_student_notebooks():
    if not NOTEBOOKS.is_dir():
        pytest.skip("no notebooks/ directory yet")
    assert generate_student_versions(NOTEBOOKS, EXERCISES, check=True) == []


# ------------------------------------------------------------------ the checks framework
def test_compare_arrays_passes_within_tolerance():
    compare_arrays("h", np.ones((2, 3)) + 1e-7, np.ones((2, 3)), rtol=1e-5, atol=1e-8)
    compare_arrays("nan", np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    compare_arrays("scalar", 2.0, np.float32(2.0))


def test_compare_arrays_names_shape_mismatch():
    with pytest.raises(ExerciseCheckFailed) as info:
        compare_arrays("rnn_step, case 'batch of 2' (h)", np.zeros((3, 2)), np.zeros((2, 3)))
    msg = str(info.value)
    assert msg.startswith("rnn_step, case 'batch of 2' (h): wrong shape")
    assert "expected (2, 3), got (3, 2)" in msg and "swapped" in msg
    with pytest.raises(ExerciseCheckFailed, match=r"expected \(4,\), got \(4, 1\).*reshape"):
        compare_arrays("y", np.zeros((4, 1)), np.zeros(4))


def test_compare_arrays_reports_largest_difference_and_index():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[0, 1] = 0.01
    got[1, 2] = -0.5
    with pytest.raises(ExerciseCheckFailed) as info:
        compare_arrays("logits", got, expected, rtol=1e-5, atol=1e-3)
    msg = str(info.value)
    assert "2 of 6 elements" in msg
    assert "largest absolute difference 0.5 at index (1, 2)" in msg
    assert "expected 0, got -0.5" in msg
    assert "rtol=1e-05, atol=0.001" in msg


def test_compare_arrays_reports_nan_none_and_non_numeric():
    nan_msg = r"NaN or inf .* at index \(1,\): expected 2, got nan"
    with pytest.raises(ExerciseCheckFailed, match=nan_msg):
        compare_arrays("loss", np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ExerciseCheckFailed, match="forget to `return`"):
        compare_arrays("h", None, np.zeros(2))
    with pytest.raises(ExerciseCheckFailed, match="numeric array"):
        compare_arrays("h", ["a", "b"], np.zeros(2))


def test_compare_arrays_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    compare_arrays("t", torch.ones(2, requires_grad=True) * 2, np.full(2, 2.0))


def test_expect_close_walks_structures():
    expect_close("out", (np.ones(2), {"c": 1.0}), (np.ones(2), {"c": 1.0}))
    with pytest.raises(ExerciseCheckFailed, match=r"^lstm\[1\]\['c'\]: values differ"):
        expect_close("lstm", (np.ones(2), {"c": 1.0}), (np.ones(2), {"c": 2.0}))
    with pytest.raises(ExerciseCheckFailed, match=r"expected 2 items, got 3"):
        expect_close("state", [1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ExerciseCheckFailed, match=r"expected a tuple of 2 items, got array"):
        expect_close("state", np.zeros(2), (0.0, 0.0))
    with pytest.raises(ExerciseCheckFailed, match=r"missing \['h'\]"):
        expect_close("state", {"c": 1.0}, {"c": 1.0, "h": 0.0})


def test_expect_equal_and_shape():
    expect_equal("tokens", ["a", "b"], ["a", "b"])
    expect_equal("ids", np.array([1, 2]), np.array([1, 2]))
    first_diff = r"first difference at position 1: expected 'b', got 'c'"
    with pytest.raises(ExerciseCheckFailed, match=first_diff):
        expect_equal("tokens", ["a", "c"], ["a", "b"])
    with pytest.raises(ExerciseCheckFailed, match=r"expected 3, got 4"):
        expect_equal("count", 4, 3)
    with pytest.raises(ExerciseCheckFailed, match=r"values differ"):
        expect_equal("ids", np.array([1, 3]), np.array([1, 2]))
    expect_shape("h", np.zeros((4, 7)), (None, 7))
    with pytest.raises(ExerciseCheckFailed, match=r"expected \(any, 8\), got \(4, 7\)"):
        expect_shape("h", np.zeros((4, 7)), (None, 8))


def test_run_learner_turns_not_implemented_into_friendly_failure():
    def rnn_step(x):
        # YOUR CODE HERE
        raise NotImplementedError()

    friendly = "rnn_step: you have not written this yet"
    with pytest.raises(ExerciseCheckFailed, match=friendly) as info:
        run_learner(rnn_step, 1)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert isinstance(info.value, AssertionError)


def test_run_learner_protects_inputs_and_annotates_errors():
    def mutate(x):
        x[:] = 99
        return x.sum()

    x = np.zeros(3)
    assert run_learner(mutate, x) == 297 and (x == 0).all()

    def broken(x):
        return x / "a"

    with pytest.raises(TypeError) as info:
        run_learner(broken, 1, case="small")
    assert any("`broken`" in n and "'small'" in n for n in info.value.__notes__)


def test_check_cases_and_passed(capsys):
    cases = [Case("zeros", (np.zeros(3),)), Case("ramp", (np.arange(3.0),))]
    check_cases("double", lambda x: 2 * x, lambda x: x + x, cases)
    assert capsys.readouterr().out == "✓ double: correct (2 cases)\n"
    with pytest.raises(ExerciseCheckFailed, match=r"^double, case 'ramp': values differ"):
        check_cases("double", lambda x: x * x, lambda x: x + x, cases)
    passed("tokenize")
    assert capsys.readouterr().out == "✓ tokenize: correct\n"


# ------------------------------------------------------------------ the course's exercises
STUDENT_NOTEBOOKS = sorted(p for p in EXERCISES.glob("*.ipynb") if is_numbered_notebook(p))


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_has_no_ci_markers(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "NBVAL_" not in text, f"{path.name}: a CI marker reached the student version"


COURSE_NOTEBOOKS = [p for p in REPO_NOTEBOOKS if p.name[:2] in {"01", "04", "05"}]


@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=lambda p: p.name)
def test_course_notebook_has_three_checked_exercises_and_open_questions(path: Path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    exercises = [i for i, c in enumerate(cells)
                 if c.cell_type == "code" and "### BEGIN SOLUTION" in c.source]
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises"
    for i in exercises:
        check = next(c for c in cells[i + 1:] if c.cell_type == "code")
        # new style: the check returns the answer or the library's reference for the cells below
        assert re.search(r"^(\w+) = nb\d\d\.check_\1\(\1\)$", check.source, re.M), (
            f"{path.name}: the cell after exercise cell {i} is not `x = nbNN.check_x(x)`")
        before = next(c for c in reversed(cells[:i]) if c.cell_type == "code")
        name = re.search(r"^(\w+) = ", check.source, re.M).group(1)
        assert f"{name}(" not in before.source or f"def {name}(" in before.source, (
            f"{path.name}: the code cell just before exercise `{name}` calls it")
    questions = [c for c in cells if c.cell_type == "markdown" and "Open questions" in c.source]
    assert questions, f"{path.name}: no open questions"
    tail = "".join(c.source for c in cells[cells.index(questions[0]):] if c.cell_type == "markdown")
    assert tail.count("<!-- BEGIN SOLUTION -->") >= 3, f"{path.name}: model answers missing"


@pytest.mark.parametrize("path", [p for p in STUDENT_NOTEBOOKS if p.name[:2] in {"01", "04", "05"}],
                         ids=lambda p: p.name)
def test_student_prose_does_not_describe_the_committed_run(path: Path):
    # a learner's copy has no outputs yet: sentences about the reference run's numbers are
    # solution-only prose (<!-- BEGIN SOLUTION --> ... <!-- END SOLUTION -->)
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"committed (`cpu` )?run", prose)
