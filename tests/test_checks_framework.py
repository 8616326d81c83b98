import pytest

from rnnbook.checks import ExerciseCheckFailed, strict_checks, use_if_solved


def _check(fn):
    if fn(2) != 4:
        raise ExerciseCheckFailed("double: expected 4")

def test_use_if_solved_returns_answer_or_reference(monkeypatch, capsys):
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS", raising=False)
    good, ref = (lambda x: 2 * x), (lambda x: x + x)
    assert use_if_solved(_check, good, ref, what="double") is good
    bad = lambda x: x
    assert use_if_solved(_check, bad, ref, what="double") is ref
    out = capsys.readouterr().out
    assert "✗ double: expected 4" in out and "library's reference (double)" in out

def test_strict_checks_raise(monkeypatch):
    monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "1")
    assert strict_checks()
    with pytest.raises(ExerciseCheckFailed):
        use_if_solved(_check, lambda x: x, lambda x: 2 * x, what="double")

def test_failure_renders_one_line_in_ipython():
    assert ExerciseCheckFailed("f: wrong")._render_traceback_() == ["✗ f: wrong"]


def test_exercise_check_decorates_a_check_into_answer_or_reference(monkeypatch, capsys):
    from rnnbook.checks import exercise_check

    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS", raising=False)

    @exercise_check("_later_reference", what="reference double")
    def check_double(fn):
        """Check doubling."""
        _check(fn)

    assert check_double.__name__ == "check_double" and check_double.__doc__ == "Check doubling."
    good = lambda x: 2 * x  # noqa: E731
    assert check_double(good) is good
    assert check_double(lambda x: x) is _later_reference  # looked up by name when called
    assert "library's reference (double)" in capsys.readouterr().out


def _later_reference(x):
    return x + x


def test_learner_array_gives_float64_and_refuses_none():
    import numpy as np

    from rnnbook.checks import learner_array

    arr = learner_array("double", lambda x: [2 * v for v in x], [1, 2], case="ints")
    assert arr.dtype == np.float64 and arr.tolist() == [2.0, 4.0]
    with pytest.raises(ExerciseCheckFailed, match=r"^double: got None; .*forget to `return`"):
        learner_array("double", lambda x: None, [1, 2])
