"""Tests of the exercise notebook exercises/gru_cell.ipynb (Exercise 3: one step of a GRU).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "gru_cell.ipynb"
POINTS = {"q1_gru_step_forward_test": 3, "q2_gru_step_backward_test": 4, "q3_gru_forward_test": 2}


# mistake: (answer cell, its right code, the wrong code, the test cells that fail, what the first one says)
MISTAKES = {
    "gate order z, r, n": (
        "q1_gru_step_forward",
        "    r = sigmoid(ax[:, :hidden] + ah[:, :hidden])  # (B, H) reset gate\n"
        "    z = sigmoid(ax[:, hidden : 2 * hidden] + ah[:, hidden : 2 * hidden])  # (B, H) update gate",
        "    z = sigmoid(ax[:, :hidden] + ah[:, :hidden])\n"
        "    r = sigmoid(ax[:, hidden : 2 * hidden] + ah[:, hidden : 2 * hidden])",
        list(POINTS),  # Q2 and Q3 check the forward of Q1 first
        ["h_next (B=1, D=3, H=4) is wrong",
         "Looks like: the gates are taken in the order z, r, n; the stored order is r, z, n"],
    ),
    "z and 1 - z swapped": (
        "q1_gru_step_forward",
        "    h_next = (1 - z) * n + z * h_prev  # (B, H)",
        "    h_next = z * n + (1 - z) * h_prev",
        list(POINTS),
        ["h_next (B=1, D=3, H=4) is wrong", "Looks like: z and 1 - z are swapped"],
    ),
    "reset gate before the product, as in Cho et al.": (
        "q1_gru_step_forward",
        "    n = np.tanh(ax[:, 2 * hidden :] + r * hn)  # (B, H) candidate state",
        "    n = np.tanh(ax[:, 2 * hidden :] + (r * h_prev) @ w_hh[2 * hidden :].T + b_hh[2 * hidden :])",
        list(POINTS),
        ["h_next (B=1, D=3, H=4) is wrong",
         "Looks like: the reset gate is applied before the matrix product, (r * h_prev) @ W_hn.T, as in Cho et al."],
    ),
    "dh_prev without the direct term": (
        "q2_gru_step_backward",
        "    dh_prev = dh_next * z + dah @ w_hh  # (B, H) the direct path and the path through a^h",
        "    dh_prev = dah @ w_hh",
        ["q2_gru_step_backward_test"],
        ["dh_prev (B=1, D=3, H=4) is wrong", "Looks like: the direct term dh_next * z is missing from dh_prev"],
    ),
    "r left out of the n block of dah": (
        "q2_gru_step_backward",
        "    dah = np.concatenate([da_r, da_z, ds * r], axis=1)  # (B, 3H) gradient of a^h: its n block is scaled by r",
        "    dah = dax",
        ["q2_gru_step_backward_test"],
        ["dh_prev (B=1, D=3, H=4) is wrong", "Looks like: r is missing from the n block of dah"],
    ),
    "db_hh taken equal to db_ih": (
        "q2_gru_step_backward",
        "    db_hh = dah.sum(axis=0)  # (3H,)",
        "    db_hh = dax.sum(axis=0)",
        ["q2_gru_step_backward_test"],
        ["db_hh (B=1, D=3, H=4) is wrong", "Looks like: db_hh is taken equal to db_ih"],
    ),
    "h0 fed to every step": (
        "q3_gru_forward",
        "        h_t, _ = gru_step_forward(x_t, h_t, w_ih, w_hh, b_ih, b_hh)",
        "        h_t, _ = gru_step_forward(x_t, h0, w_ih, w_hh, b_ih, b_hh)",
        ["q3_gru_forward_test"],
        ["h (T=5, B=1, D=3, H=4) is wrong",
         "Looks like: h0 is fed to every step instead of the previous step's state"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, failing, says = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == failing
    notebooks.assert_names_the_mistake(cells[failing[0]], says)
    for later in failing[1:]:  # a later question names the one it builds on
        assert "(pass Q1 first)" in results[later].feedback
