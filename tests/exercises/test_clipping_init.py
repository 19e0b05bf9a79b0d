"""Tests of the exercise notebook exercises/clipping_init.ipynb (Exercise 4: gradient clipping and initialisation).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them. The three questions are
independent: a mistake fails one test cell only.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "clipping_init.ipynb"


# mistake: (answer cell, its right code, the wrong code, the failing test cell, what it says)
MISTAKES = {
    "each gradient clipped by its own norm": (
        "q1_clip_grad_norm",
        "        return [g * scale for g in grads], total_norm",
        "        return [g * min(1.0, max_norm / (np.sqrt(np.sum(g**2)) + eps)) for g in grads], total_norm",
        "q1_clip_grad_norm_test",
        ["clipped[0] for gradients of shapes [(8, 3), (8,), (2, 3, 2)] and max_norm=1 is wrong",
         "Looks like: each gradient is clipped by its own norm; the norm is global"],
    ),
    "gradients rescaled below max_norm": (
        "q1_clip_grad_norm",
        "    if scale < 1:\n"
        "        return [g * scale for g in grads], total_norm\n"
        "    return [g.copy() for g in grads], total_norm",
        "    return [g * scale for g in grads], total_norm",
        "q1_clip_grad_norm_test",
        ["clipped[0] for gradients of shapes [(8, 3), (8,), (2, 3, 2)] and max_norm=5 is wrong",
         "Looks like: the gradients are rescaled although their norm is below max_norm"],
    ),
    "eps left out": (
        "q1_clip_grad_norm",
        "    scale = max_norm / (total_norm + eps)",
        "    scale = max_norm / total_norm",
        "q1_clip_grad_norm_test",
        ["clipped[0] for gradients of shapes [(1, 5)] and max_norm=0.01 is wrong",
         "Looks like: eps is missing: the factor is max_norm / (total_norm + eps)"],
    ),
    "gradients clipped in place": (
        "q1_clip_grad_norm",
        "        return [g * scale for g in grads], total_norm",
        "        for g in grads:\n            g *= scale\n        return grads, total_norm",
        "q1_clip_grad_norm_test",
        ["grads[0] after the call to clip_grad_norm (it must not be modified) is wrong"],
    ),
    "no sign correction": (
        "q2_orthogonal",
        "    q = q * np.sign(np.diag(r))  # column j times the sign of r[j, j]: uniformly distributed\n",
        "",
        "q2_orthogonal_test",
        ["the signs of the diagonal of R = W.T @ A / gain for W = orthogonal(6, 3, seed=",
         "Looks like: the sign correction is missing: multiply column j of Q by the sign of R[j, j]"],
    ),
    "A decomposed for a wide matrix": (
        "q2_orthogonal",
        "    m = a.T if rows < cols else a  # (max, min): never wider than tall\n"
        "    q, r = np.linalg.qr(m)  # q (max, min) with orthonormal columns, r (min, min) upper triangular\n"
        "    q = q * np.sign(np.diag(r))  # column j times the sign of r[j, j]: uniformly distributed\n"
        "    return gain * (q.T if rows < cols else q)  # (rows, cols)",
        "    q, r = np.linalg.qr(a)\n    return gain * q * np.sign(np.diag(r))",
        "q2_orthogonal_test",
        ["has the wrong shape: expected (3, 6), got (3, 3)",
         "Looks like: for rows < cols, decompose A.T, not A, and transpose its Q factor back"],
    ),
    "gain not applied": (
        "q2_orthogonal",
        "    return gain * (q.T if rows < cols else q)  # (rows, cols)",
        "    return q.T if rows < cols else q",
        "q2_orthogonal_test",
        ["W.T @ W / gain**2 for W = orthogonal(5, 5, seed=", "Looks like: the gain is not applied"],
    ),
    "forget bias in both biases": (
        "q3_lstm_forget_bias",
        "    b_hh[hidden : 2 * hidden] = 0.0",
        "    b_hh[hidden : 2 * hidden] = forget_bias",
        "q3_lstm_forget_bias_test",
        ["the forget gate f at x = 0, h_prev = 0 with the new biases (H=1, forget_bias=1) is wrong",
         "Looks like: b_hh's forget block is also set to forget_bias"],
    ),
    "the input gate's block set": (
        "q3_lstm_forget_bias",
        "    b_ih[hidden : 2 * hidden] = forget_bias",
        "    b_ih[:hidden] = forget_bias",
        "q3_lstm_forget_bias_test",
        ["the forget gate f at x = 0, h_prev = 0 with the new biases (H=1, forget_bias=1) is wrong",
         "Looks like: b_ih's forget block is not set: the forget gate's block is H:2H (order i, f, g, o)"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, test_id, says = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == [test_id]
    notebooks.assert_names_the_mistake(cells[test_id], says)
