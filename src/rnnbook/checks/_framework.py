"""The helpers every exercise check is built from.

A check runs the learner's function on fixed inputs (:func:`run_learner`), compares what came back
with the expected answer (:func:`compare_arrays`, :func:`expect_close`, :func:`expect_equal`) and
either raises :class:`ExerciseCheckFailed` with a message that says exactly what differs, or prints
one success line (:func:`passed`). :func:`check_cases` strings these together for the common
"same inputs, reference answer" exercise.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "ExerciseCheckFailed",
    "check_cases",
    "exercise_check",
    "strict_checks",
    "use_if_solved",
    "compare_arrays",
    "expect_close",
    "expect_equal",
    "expect_shape",
    "passed",
    "run_learner",
    "learner_array",
    "to_numpy",
]

_MAX_SHOWN = 5


class ExerciseCheckFailed(AssertionError):
    """The learner's answer differs from the expected one; the message says how.

    IPython shows an exception's ``_render_traceback_`` instead of the traceback, so a learner
    sees one line saying what differs, not the checker's own source.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"✗ {self}"]


STRICT_ENV = "RNNBOOK_STRICT_CHECKS"


def strict_checks() -> bool:
    """True when a failed check must stop the notebook (``RNNBOOK_STRICT_CHECKS=1``).

    The solution notebooks run strict in CI and in ``rnnbook run``; a learner's student notebook
    runs lenient, so an unsolved exercise does not stop "Run All".
    """
    return os.environ.get(STRICT_ENV, "") == "1"


def use_if_solved(
    check: Callable[[Any], Any], answer: Any, reference: Any, *, what: str
) -> Any:
    """Run ``check(answer)``; return ``answer`` if it passes, else ``reference``.

    A failure prints the check's one-line message and says that the cells below use the library's
    reference ``what`` instead, so a learner who has not solved the exercise can run the rest of the
    notebook. Under :func:`strict_checks` the failure is raised instead.
    """
    try:
        check(answer)
    except ExerciseCheckFailed as failure:
        if strict_checks():
            raise
        print(f"✗ {failure}")
        what = what.removeprefix("reference ")
        print(f"→ The cells below use the library's reference ({what}) until this check passes.")
        return reference
    return answer


def exercise_check(
    reference: Callable[..., Any] | str, *, what: str
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Decorate a check into what a notebook calls after an exercise: ``x = check_x(x)``.

    The decorated check runs through :func:`use_if_solved`: it returns the learner's answer when
    it passes and ``reference`` otherwise (a name is looked up in the check's module when called,
    so references may be defined further down). ``what`` names the reference in the fallback line.
    """

    def decorate(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(check)
        def run_check(answer: Any) -> Any:
            ref = check.__globals__[reference] if isinstance(reference, str) else reference
            return use_if_solved(check, answer, ref, what=what)

        return run_check

    return decorate


def _fail(name: str, message: str) -> ExerciseCheckFailed:
    return ExerciseCheckFailed(f"{name}: {message}")


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (accepts NumPy, Python numbers/lists and TF/torch/JAX tensors)."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch, possibly requiring grad or on GPU
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.6g}"
    return repr(x.item() if isinstance(x, np.generic) else x)


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}, dtype {x.dtype}"
    return f"{type(x).__name__} {_fmt(x) if np.isscalar(x) else ''}".rstrip()


def run_learner(fn: Callable[..., Any], *args: Any, case: str | None = None, **kwargs: Any) -> Any:
    """Call the learner's ``fn`` on deep copies of the inputs and return its result.

    ``NotImplementedError`` (the stub in a student notebook) becomes a friendly
    :class:`ExerciseCheckFailed`; any other exception propagates with a note naming the case.
    """
    fname = getattr(fn, "__name__", repr(fn))
    if not callable(fn):
        raise _fail(
            fname, f"expected a function, got {type(fn).__name__}; pass the function itself"
        )
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _fail(
            fname,
            "you have not written this yet. Replace the `raise NotImplementedError()` line under "
            "`# YOUR CODE HERE` with your solution, run that cell, then run this check again.",
        ) from None
    except Exception as e:
        where = f" on case {case!r}" if case else ""
        e.add_note(f"(raised by your function `{fname}` while rnnbook.checks ran it{where})")
        raise


def learner_array(name: str, fn: Callable[..., Any], *args: Any, case: str | None = None
                  ) -> np.ndarray:
    """:func:`run_learner`, then the result as a float64 array; ``None`` fails as a missing
    ``return``."""
    got = run_learner(fn, *args, case=case)
    if got is None:
        raise _fail(name, "got None; did your function forget to `return` its result?")
    return np.asarray(to_numpy(got), np.float64)


def expect_shape(name: str, got: Any, shape: Sequence[int | None]) -> None:
    """Fail unless ``got`` has ``shape`` (``None`` entries match any size)."""
    if got is None:
        raise _fail(name, "got None; did your function forget to `return` its result?")
    actual = to_numpy(got).shape
    ok = len(actual) == len(shape) and all(
        e is None or e == a for a, e in zip(actual, shape, strict=True)
    )
    if not ok:
        want = "(" + ", ".join("any" if e is None else str(e) for e in shape) + ")"
        raise _fail(name, f"wrong shape: expected {want}, got {tuple(actual)}")


def compare_arrays(
    name: str, got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-8
) -> None:
    """Fail unless ``got`` matches ``expected`` in shape and, elementwise, within tolerance.

    Elements pass when ``|got - expected| <= atol + rtol * |expected|`` (``np.isclose``); NaN
    matches only NaN. The message gives the shapes, how many elements differ, the largest absolute
    difference, its index, both values there and the tolerance.
    """
    if got is None:
        raise _fail(name, "got None; did your function forget to `return` its result?")
    try:
        g = to_numpy(got)
    except Exception as e:  # noqa: BLE001 - anything unconvertible is the learner's mistake
        raise _fail(name, f"expected an array, got {type(got).__name__} ({e})") from None
    e_arr = to_numpy(expected)
    if g.dtype == object or not (np.issubdtype(g.dtype, np.number) or g.dtype == bool):
        raise _fail(name, f"expected a numeric array, got {_describe(g)}")
    if g.shape != e_arr.shape:
        hint = ""
        if g.shape == e_arr.shape[::-1] and g.ndim > 1:
            hint = " (the axes look swapped: check the order of your dimensions / a transpose)"
        elif g.size == e_arr.size:
            hint = " (same number of elements: check a reshape or a missing/extra axis)"
        raise _fail(name, f"wrong shape: expected {e_arr.shape}, got {g.shape}{hint}")
    gf, ef = g.astype(np.float64), e_arr.astype(np.float64)
    close = np.isclose(gf, ef, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return
    bad = ~close
    n_bad = int(bad.sum())
    diff = np.abs(gf - ef)
    nan_bad = bad & np.isnan(diff)
    if nan_bad.any():
        flat = int(np.flatnonzero(nan_bad)[0])
        what = "NaN or inf where the other is finite"
    else:
        flat = int(np.argmax(np.where(bad, diff, -np.inf)))
        what = f"largest absolute difference {diff.flat[flat]:.6g}"
    idx = np.unravel_index(flat, g.shape) if g.ndim else ()
    at = f" at index {tuple(int(i) for i in idx)}" if g.ndim else ""
    raise _fail(
        name,
        f"values differ: {n_bad} of {g.size} elements are outside the tolerance "
        f"(rtol={rtol:g}, atol={atol:g}); {what}{at}: expected {_fmt(ef.flat[flat])}, "
        f"got {_fmt(gf.flat[flat])}",
    )


def _is_arraylike(x: Any) -> bool:
    return isinstance(x, np.ndarray | np.generic | float | int | complex) or (
        hasattr(x, "shape") and hasattr(x, "dtype")
    )


def expect_close(
    name: str, got: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-8
) -> None:
    """:func:`compare_arrays` that also walks tuples, lists and dicts of arrays/numbers.

    Nested items are named like ``name[0]`` or ``name['h']`` in the message.
    """
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            raise _fail(name, f"expected a dict with keys {sorted(expected)}, got {_describe(got)}")
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        if missing or extra:
            raise _fail(
                name,
                f"wrong keys: missing {sorted(missing, key=str)}, unexpected "
                f"{sorted(extra, key=str)}",
            )
        for k in expected:
            expect_close(f"{name}[{k!r}]", got[k], expected[k], rtol=rtol, atol=atol)
    elif isinstance(expected, tuple | list):
        if got is None or _is_arraylike(got) or not isinstance(got, Sequence):
            raise _fail(
                name,
                f"expected a {type(expected).__name__} of {len(expected)} items, "
                f"got {_describe(got) if got is not None else 'None (missing `return`?)'}",
            )
        if len(got) != len(expected):
            raise _fail(name, f"expected {len(expected)} items, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            expect_close(f"{name}[{i}]", g, e, rtol=rtol, atol=atol)
    else:
        compare_arrays(name, got, expected, rtol=rtol, atol=atol)


def expect_equal(name: str, got: Any, expected: Any) -> None:
    """Fail unless ``got == expected`` exactly; arrays compare elementwise (shape and values).

    For sequences the message names the first position that differs.
    """
    if isinstance(expected, np.ndarray) or hasattr(expected, "dtype"):
        compare_arrays(name, got, expected, rtol=0.0, atol=0.0)
        return
    if got is None and expected is not None:
        raise _fail(name, f"expected {_fmt(expected)}, got None (missing `return`?)")
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple | np.ndarray):
        got_list = got.tolist() if isinstance(got, np.ndarray) else list(got)
        if len(got_list) != len(expected):
            raise _fail(name, f"expected {len(expected)} items, got {len(got_list)}")
        for i, (g, e) in enumerate(zip(got_list, expected, strict=True)):
            if not g == e:
                raise _fail(name, f"first difference at position {i}: expected {e!r}, got {g!r}")
        return
    if not got == expected:
        raise _fail(name, f"expected {_fmt(expected)}, got {_fmt(got)}")


def passed(name: str, detail: str = "") -> None:
    """Print the one-line success message of a check."""
    print(f"✓ {name}: correct" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class Case:
    """One fixed input of a check: a name for messages, positional and keyword arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def check_cases(
    exercise: str,
    fn: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[Case],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    exact: bool = False,
) -> None:
    """Run ``fn`` and ``reference`` on every case, compare, then print :func:`passed`.

    The first difference raises :class:`ExerciseCheckFailed` naming the exercise and the case.
    ``exact=True`` compares with :func:`expect_equal` instead of :func:`expect_close`.
    """
    for case in cases:
        got = run_learner(fn, *case.args, case=case.name, **case.kwargs)
        expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        label = f"{exercise}, case {case.name!r}"
        if exact:
            expect_equal(label, got, expected)
        else:
            expect_close(label, got, expected, rtol=rtol, atol=atol)
    passed(exercise, f"{len(cases)} case{'s' if len(cases) != 1 else ''}")
