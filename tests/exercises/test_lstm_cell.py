"""Tests of the exercise notebook exercises/lstm_cell.ipynb (Exercise 2: one step of an LSTM).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "lstm_cell.ipynb"
POINTS = {"q1_sigmoid_test": 2, "q2_lstm_step_forward_test": 3, "q3_lstm_step_backward_test": 4}


MISTAKES = {
    "sigmoid with np.where over the naive formulas": (
        "q1_sigmoid",
        "    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow\n"
        "    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))  # 1 / (1 + exp(-x)) and exp(x) / (1 + exp(x))",
        "    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))",
        "q1_sigmoid_test",
        ["sigmoid overflowed on inputs from -1000 to 1000", "Looks like: np.exp of a large positive number"],
    ),
    "gate order i, f, o, g": (
        "q2_lstm_step_forward",
        "    g = np.tanh(a[:, 2 * hidden : 3 * hidden])  # (B, H) candidate values\n"
        "    o = sigmoid(a[:, 3 * hidden :])  # (B, H) output gate",
        "    o = sigmoid(a[:, 2 * hidden : 3 * hidden])\n    g = np.tanh(a[:, 3 * hidden :])",
        "q2_lstm_step_forward_test",
        ["c_next (B=1, D=3, H=4) is wrong",
         "Looks like: the gates are taken in the order i, f, o, g; the stored order is i, f, g, o"],
    ),
    "output gate before the tanh": (
        "q2_lstm_step_forward",
        "    h_next = o * tanh_c  # (B, H)",
        "    h_next = np.tanh(o * c_next)",
        "q2_lstm_step_forward_test",
        ["h_next (B=1, D=3, H=4) is wrong",
         "Looks like: the output gate is applied before the tanh: tanh(o * c_next) instead of o * tanh(c_next)"],
    ),
    "dc without the path through h_next": (
        "q3_lstm_step_backward",
        "    dc = dc_next + dh_next * o * (1 - tanh_c**2)  # (B, H) both paths into c_next",
        "    dc = dc_next",
        "q3_lstm_step_backward_test",
        ["dx (B=1, D=3, H=4) is wrong",
         "Looks like: the term dh_next * o * (1 - tanh(c_next)**2) is missing from dc"],
    ),
    "transposed weight gradients": (
        "q3_lstm_step_backward",
        "    dw_ih = da.T @ x  # (4H, D)\n    dw_hh = da.T @ h_prev  # (4H, H)",
        "    dw_ih = x.T @ da\n    dw_hh = h_prev.T @ da",
        "q3_lstm_step_backward_test",
        ["dw_ih (B=1, D=3, H=4) has the wrong shape: expected (16, 3), got (3, 16) (transposed?)",
         "Looks like: dw_ih is transposed: x.T @ da instead of da.T @ x"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, test_id, says = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    later = list(POINTS)[list(POINTS).index(test_id):]  # Q3 checks the forward of Q2 first, so it fails too
    assert [g for g, r in results.items() if not r.passed] == (later if answer_id.startswith("q2") else [test_id])
    notebooks.assert_names_the_mistake(cells[test_id], says)
    if answer_id.startswith("q2"):
        assert "which Q3 builds on (pass Q2 first)" in results["q3_lstm_step_backward_test"].feedback
