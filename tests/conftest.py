"""Shared test set-up: exercise-check tests run strict, as the solution notebooks do."""

import pytest


@pytest.fixture(autouse=True)
def _strict_exercise_checks(request, monkeypatch):
    """In ``test_checks_nb*.py`` a failing check raises (the lenient fallback is tested there
    with the variable unset); other tests keep the environment they were given."""
    if request.module.__name__.startswith("test_checks_nb"):
        monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "1")


def stub(*args, **kwargs):
    """An unwritten exercise, as the student notebooks hand it out."""
    raise NotImplementedError()


def assert_passes_and_refuses_stub(check, answer, line, capsys):
    """Strict ``check`` hands back the correct ``answer`` and prints ``line``; the stub fails
    naming the function and saying it is not written yet."""
    from rnnbook.checks import ExerciseCheckFailed

    assert check(answer) is answer
    assert line in capsys.readouterr().out
    with pytest.raises(ExerciseCheckFailed, match="^stub: you have not written this yet"):
        check(stub)


def assert_stub_falls_back_to_a_passing_reference(check, monkeypatch, capsys):
    """Lenient ``check(stub)`` returns a reference and says so; strict, the reference passes."""
    monkeypatch.delenv("RNNBOOK_STRICT_CHECKS")
    reference = check(stub)
    assert reference is not stub and callable(reference)
    assert "The cells below use the library's reference" in capsys.readouterr().out
    monkeypatch.setenv("RNNBOOK_STRICT_CHECKS", "1")
    assert check(reference) is reference  # the fallback is itself a correct answer
