"""Checks with feedback for the exercise notebooks.

The test cells of the exercises call these functions on what a student's code
returned. A check that passes returns quietly; a check that fails raises
``AssertionError`` with a message a student can act on: which quantity is
wrong, how (type, shape, or values, with the first wrong entry), and, when the
result matches a known mistake, what that mistake probably was.

Known mistakes are passed in as ``Hint(description, candidate)``: the test
cell computes ``candidate``, the value the mistake would produce on the same
inputs (tanh replaced by a sigmoid, a bias left out, a weight not
transposed), and the check says ``Looks like: <description>`` when the
student's result matches it. No expected number is written into a test.

The functions are plain: they print nothing and keep no state, so they work
the same in a notebook, in pytest, or in an autograder.

>>> import numpy as np
>>> a = np.tanh(np.array([[0.5, -1.0]]))
>>> check_close("h_next", a, a)
>>> check_close("h_next", a.T, a)
Traceback (most recent call last):
    ...
AssertionError: h_next has the wrong shape: expected (1, 2), got (2, 1) (transposed?)
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence

import numpy as np

from ..numpy_ref.gradcheck import numerical_gradient, rel_error

__all__ = ["Hint", "check_close", "check_gradient", "check_returns"]

# A hint is a guess about what went wrong, so it is matched more loosely than
# the check itself: a float32 version of the same mistake still matches.
_HINT_RTOL = 1e-5
_HINT_ATOL = 1e-7


class Hint(NamedTuple):
    """A common mistake and the value it would produce on the test's inputs."""

    description: str  # shown as "Looks like: <description>"
    candidate: Any  # array the mistaken computation returns


def _format_index(index: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _format_value(value) -> str:
    return f"{float(value):.6g}"


def _type_problem(name: str, got, expected: np.ndarray) -> Optional[str]:
    """Return a message if ``got`` is not a real NumPy array, else None."""
    if isinstance(got, np.ndarray):
        if got.dtype.kind not in "fiub":
            return f"{name} must be a real-valued NumPy array, got one of dtype {got.dtype}"
        return None
    if np.ndim(expected) == 0 and isinstance(got, (int, float, np.number)) and not isinstance(got, complex):
        return None
    what = f"{name} must be a NumPy array of shape {expected.shape}, got "
    if got is None:
        return what + "None (is a return statement missing?)"
    if isinstance(got, (tuple, list)):
        return (
            what + f"a {type(got).__name__} of length {len(got)} "
            "(return the array itself, or build one with np.array / np.stack)"
        )
    kind = type(got)
    kind_name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    message = what + f"an object of type {kind_name}"
    if hasattr(got, "numpy"):
        message += " (convert a tensor with .detach().numpy())"
    return message


def _matching_hints(got: np.ndarray, expected: np.ndarray, hints: Sequence[Hint]) -> list[str]:
    """Descriptions of the hints whose candidate ``got`` matches.

    A candidate that equals the expected value (the mistake makes no
    difference on these inputs) is skipped: it would explain nothing.
    """
    found = []
    for hint in hints:
        candidate = np.asarray(hint.candidate)
        if candidate.shape != got.shape or candidate.dtype.kind not in "fiub":
            continue
        if not np.allclose(got, candidate, rtol=_HINT_RTOL, atol=_HINT_ATOL):
            continue
        if candidate.shape == expected.shape and np.allclose(
            candidate, expected, rtol=_HINT_RTOL, atol=_HINT_ATOL
        ):
            continue
        found.append(f"Looks like: {hint.description}")
    return found


def _builtin_hints(expected: np.ndarray) -> list[Hint]:
    """Mistakes worth naming whatever the quantity: a flipped sign, a transposed square matrix."""
    hints = [Hint("the sign is flipped", -expected)]
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1]:
        hints.append(Hint("the matrix is transposed", expected.T))
    return hints


def _value_report(got: np.ndarray, expected: np.ndarray, wrong: np.ndarray, labels=("expected", "got")) -> list[str]:
    """Lines describing where ``got`` and ``expected`` differ (``wrong`` is the mask)."""
    first = tuple(np.argwhere(wrong)[0]) if got.ndim else ()
    lines = [
        f"first wrong entry at index {_format_index(first)}: "
        f"{labels[0]} {_format_value(expected[first])}, {labels[1]} {_format_value(got[first])}"
    ]
    both_finite = np.isfinite(got) & np.isfinite(expected)
    if both_finite.any():
        lines.append(f"largest relative error: {rel_error(got[both_finite], expected[both_finite]):.3g}")
    not_finite = int(got.size - np.count_nonzero(np.isfinite(got)))
    if not_finite:
        lines.append(f"{labels[1]} holds {not_finite} NaN or infinite value(s)")
    if got.dtype.kind == "f" and got.dtype.itemsize < expected.dtype.itemsize:
        lines.append(f"{labels[1]} has dtype {got.dtype}: compute in {expected.dtype} like the inputs")
    return lines


def check_close(name: str, got, expected, *, rtol: float = 1e-7, atol: float = 1e-9, hints: Sequence[Hint] = ()) -> None:
    """Check that ``got`` equals ``expected`` up to rounding.

    Entries are compared as in ``np.isclose(got, expected, rtol, atol)``.

    Args:
        name: what the value is, as the student knows it (``"dw_hh"``);
            the message starts with it.
        got: the student's value, normally a NumPy array.
        expected: the reference value (an array, or anything ``np.asarray``
            turns into one).
        rtol, atol: relative and absolute tolerance.
        hints: ``Hint``s for common mistakes; each one whose candidate
            ``got`` matches adds a line ``Looks like: <description>``.

    Returns:
        None when the values agree; nothing is printed.

    Raises:
        AssertionError: with one of these messages, then any matching hints:
            ``<name> must be a NumPy array of shape S, got <type>`` (not an
            array, or a complex or non-numeric one);
            ``<name> has the wrong shape: expected S, got S'``, plus
            ``(transposed?)`` when S' is S reversed;
            ``<name> is wrong: k of n entries differ from the expected
            values``, then the first wrong index with the expected and the
            got value there, and the largest relative error; two mistakes
            are recognised without a hint: ``Looks like: the sign is
            flipped`` and, for a square matrix, ``Looks like: the matrix is
            transposed``.
    """
    expected = np.asarray(expected)
    problem = _type_problem(name, got, expected)
    if problem is not None:
        raise AssertionError(problem)
    got = np.asarray(got)
    if got.shape != expected.shape:
        message = f"{name} has the wrong shape: expected {expected.shape}, got {got.shape}"
        if got.ndim >= 2 and got.shape == expected.T.shape:
            message += " (transposed?)"
        raise AssertionError("\n  ".join([message] + _matching_hints(got, expected, hints)))
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    header = (
        f"{name} is wrong: {int(wrong.sum())} of {wrong.size} entries differ from the expected values "
        f"(rtol={rtol:g}, atol={atol:g})"
    )
    lines = [header] + _value_report(got, expected, wrong)
    lines += _matching_hints(got, expected, [*_builtin_hints(expected), *hints])
    raise AssertionError("\n  ".join(lines))


def check_gradient(
    name: str,
    f: Callable[[], np.ndarray],
    x: np.ndarray,
    analytic,
    df,
    *,
    tol: float = 1e-7,
    atol: float = 1e-7,
    hints: Sequence[Hint] = (),
) -> None:
    """Check an analytic gradient against centred differences.

    Computes ``numerical_gradient(f, x, df)`` (the gradient of
    ``sum(f() * df)`` with respect to ``x``) and compares it with
    ``analytic`` entry by entry: an entry passes if its relative error (as
    in ``rel_error``) is at most ``tol`` or its absolute difference at most
    ``atol``. The second test is for entries near zero, where the rounding
    error of the difference quotient (about 1e-9 for outputs of order one)
    makes the relative error meaningless; a wrong formula is off by far more.

    Args:
        name: the gradient's name as the student knows it (``"dx"``).
        f: function of no arguments that reads ``x`` and returns the forward
            output, e.g. ``lambda: rnn_step_forward(x, h, ...)[0]``.
        x: float64 array, the input differentiated; perturbed in place during
            the call and restored afterwards.
        analytic: the student's gradient, of the shape of ``x``.
        df: upstream gradient, of the shape of ``f()``.
        tol: the largest accepted relative error of an entry.
        atol: the largest accepted absolute difference of an entry.
        hints: as in ``check_close``, matched against ``analytic``.

    Returns:
        None when the gradients agree; nothing is printed.

    Raises:
        AssertionError: with the messages of ``check_close`` for a value that
            is not an array or has the wrong shape; otherwise
            ``<name> does not match the numerical gradient: k of n entries
            differ, largest relative error e``, then the first entry off with the
            numerical and the analytic value there, and the ``Looks like``
            lines of ``check_close``.
    """
    x_shape = np.shape(x)
    problem = _type_problem(name, analytic, np.empty(x_shape))
    if problem is not None:
        raise AssertionError(problem)
    analytic = np.asarray(analytic)
    if analytic.shape != x_shape:
        message = f"{name} has the wrong shape: expected {x_shape} (the shape of the input), got {analytic.shape}"
        if analytic.ndim >= 2 and analytic.shape == x_shape[::-1]:
            message += " (transposed?)"
        raise AssertionError(message)
    numerical = numerical_gradient(f, x, df)
    difference = np.abs(analytic - numerical)
    with np.errstate(invalid="ignore"):
        entry_error = difference / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-12)
    wrong = ~((entry_error <= tol) | (difference <= atol))  # NaN counts as wrong
    if not wrong.any():
        return None
    error = rel_error(analytic, numerical)
    header = (
        f"{name} does not match the numerical gradient: {int(wrong.sum())} of {wrong.size} entries differ, "
        f"largest relative error {error:.3g} (tol={tol:g}, atol={atol:g})"
    )
    lines = [header] + _value_report(analytic, numerical, wrong, labels=("numerical", "analytic"))[:1]
    lines += _matching_hints(analytic, numerical, [*_builtin_hints(numerical), *hints])
    raise AssertionError("\n  ".join(lines))


def check_returns(function_name: str, result, names: Sequence[str]) -> tuple:
    """Check that a function returned ``len(names)`` values and return them.

    Args:
        function_name: the function that produced ``result``.
        result: what it returned.
        names: the names of the values it should return, in order.

    Returns:
        ``result`` as a tuple, ready to unpack.

    Raises:
        AssertionError: ``<function_name> must return n values (a, b, ...),
            got <what>`` when ``result`` is not a tuple or list of that length.
    """
    names = list(names)
    want = f"{function_name} must return {len(names)} values ({', '.join(names)}), got "
    if result is None:
        raise AssertionError(want + "None (is a return statement missing?)")
    if not isinstance(result, (tuple, list)):
        raise AssertionError(want + f"a single {type(result).__name__}")
    if len(result) != len(names):
        raise AssertionError(want + f"{len(result)} values")
    return tuple(result)
