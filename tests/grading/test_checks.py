"""Tests of lstm_course.grading.checks and of the exercise notebook that uses it.

tests/exercises/test_notebooks.py holds the checks common to every exercise
notebook; here, a known mistake put into exercises/rnn_step.ipynb must be
named by its test cell.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.grading.checks import Hint, check_close, check_gradient, check_returns
from lstm_course.grading.release import release_notebook

from ..exercises import notebooks

NOTEBOOK = notebooks.EXERCISES / "rnn_step.ipynb"


def failure(check, *args, **kwargs) -> str:
    """The message of the AssertionError that ``check(*args, **kwargs)`` raises."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# ----------------------------------------------------------------- check_close


def test_check_close_passes_quietly_on_equal_arrays(capsys):
    a = np.random.default_rng(0).standard_normal((3, 4))
    assert check_close("h_next", a, a.copy()) is None
    assert check_close("h_next", a * (1 + 1e-12), a) is None
    assert capsys.readouterr() == ("", "")


def test_check_close_reports_a_wrong_shape():
    message = failure(check_close, "h_next", np.zeros((2, 3, 1)), np.zeros((2, 3)))
    assert message.startswith("h_next has the wrong shape")
    assert "expected (2, 3), got (2, 3, 1)" in message
    assert "transposed" not in message


def test_check_close_suspects_a_transposed_shape():
    expected = np.arange(6.0).reshape(2, 3)
    message = failure(check_close, "dw_ih", expected.T, expected)
    assert "expected (2, 3), got (3, 2) (transposed?)" in message


def test_check_close_reports_the_first_wrong_entry():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[1, 2] = 60.0
    got[2, 0] = -1.0
    message = failure(check_close, "dx", got, expected)
    assert message.startswith("dx is wrong: 2 of 12 entries differ")
    assert "first wrong entry at index [1, 2]: expected 6, got 60" in message
    assert "largest relative error: 1" in message  # |8 - (-1)| / (8 + 1)


def test_check_close_names_a_matching_hint_only():
    expected = np.array([0.1, 0.2, 0.3])
    no_bias = expected - 0.5
    hints = [Hint("the bias is missing", no_bias), Hint("tanh is missing", expected * 3)]
    message = failure(check_close, "h_next", no_bias, expected, hints=hints)
    assert "Looks like: the bias is missing" in message
    assert "tanh is missing" not in message


def test_check_close_matches_hints_of_another_shape():
    expected = np.arange(6.0).reshape(2, 3)
    unsummed = np.ones((4, 3))
    message = failure(check_close, "db", unsummed, expected, hints=[Hint("not summed over the batch", unsummed)])
    assert "wrong shape" in message and "Looks like: not summed over the batch" in message


def test_check_close_skips_a_hint_that_equals_the_answer():
    expected = np.array([1.0, 2.0])
    message = failure(check_close, "h", np.array([1.0, 5.0]), expected, hints=[Hint("no-op mistake", expected)])
    assert "Looks like" not in message


def test_check_close_recognises_a_flipped_sign_and_a_transposed_square_matrix():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "Looks like: the sign is flipped" in failure(check_close, "dh_prev", -w, w)
    assert "Looks like: the matrix is transposed" in failure(check_close, "dw_hh", w.T, w)


@pytest.mark.parametrize(
    ("got", "says"),
    [
        (None, "got None (is a return statement missing?)"),
        ([1.0, 2.0], "got a list of length 2"),
        ((np.zeros(2), None), "got a tuple of length 2"),
        ("0.5", "got an object of type str"),
        (np.array([1j, 2j]), "got one of dtype complex128"),
    ],
)
def test_check_close_rejects_what_is_not_a_real_array(got, says):
    message = failure(check_close, "h_next", got, np.zeros(2))
    assert message.startswith("h_next must be a")
    assert says in message


def test_check_close_points_out_nan_and_low_precision():
    expected = np.array([1.0, 2.0, 3.0])
    got = np.array([1.0, np.nan, 3.5], dtype=np.float32)
    message = failure(check_close, "h", got, expected)
    assert "2 of 3 entries differ" in message
    assert "1 NaN or infinite value(s)" in message
    assert "dtype float32" in message


# -------------------------------------------------------------- check_gradient


def _square_problem():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2))
    df = rng.standard_normal((3, 2))
    return x, df, (lambda: np.tanh(x) ** 2), 2 * np.tanh(x) * (1 - np.tanh(x) ** 2) * df


def test_check_gradient_accepts_the_right_gradient():
    x, df, f, analytic = _square_problem()
    before = x.copy()
    assert check_gradient("dx", f, x, analytic, df) is None
    np.testing.assert_array_equal(x, before)


def test_check_gradient_catches_a_wrong_gradient():
    x, df, f, analytic = _square_problem()
    wrong = 2 * np.tanh(x) * df  # the derivative of tanh forgotten
    message = failure(check_gradient, "dx", f, x, wrong, df, hints=[Hint("tanh' is missing", wrong)])
    assert message.startswith("dx does not match the numerical gradient")
    assert "first wrong entry at index [0, 0]: numerical" in message
    assert "Looks like: tanh' is missing" in message
    assert "Looks like: the sign is flipped" in failure(check_gradient, "dx", f, x, -analytic, df)


def test_check_gradient_checks_the_shape_first():
    x, df, f, analytic = _square_problem()
    assert "expected (3, 2) (the shape of the input), got (2, 3) (transposed?)" in failure(
        check_gradient, "dx", f, x, analytic.T, df
    )


# ---------------------------------------------------------------- check_returns


def test_check_returns_unpacks_or_says_what_came_back():
    assert check_returns("f", [1, 2], ["a", "b"]) == (1, 2)
    assert "f must return 2 values (h_next, cache), got a single ndarray" in failure(
        check_returns, "f", np.zeros(2), ["h_next", "cache"]
    )
    assert "got 3 values" in failure(check_returns, "f", (1, 2, 3), ["a", "b"])
    assert "got None" in failure(check_returns, "f", None, ["a", "b"])


# --------------------------------------------------------------- the notebook


def test_a_common_mistake_is_named_in_the_failing_test_cell():
    nb = release_notebook(notebooks.read(NOTEBOOK))
    cell = next(c for c in nb.cells if c.metadata.nbgrader.grade_id == "q1_rnn_step_forward")
    sigmoid_body = (
        "    a = x @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh\n"
        "    return 1 / (1 + np.exp(-a)), (x, h_prev, w_ih, w_hh)"
    )
    stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert cell.source.count(stub) == 1
    cell.source = cell.source.replace(stub, sigmoid_body)
    notebooks.run(nb, NOTEBOOK)
    q1_test = notebooks.question_cells(nb)[0]
    (error,) = notebooks.errors(q1_test)
    assert error.ename == "AssertionError"
    assert "h_next (B=1, D=3, H=4) is wrong" in error.evalue
    assert "Looks like: a sigmoid instead of tanh" in error.evalue
