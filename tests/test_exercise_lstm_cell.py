"""Tests of the exercise notebook exercises/lstm_cell.ipynb (Exercise 2: one step of an LSTM).

The notebook is executed in a kernel: as stored (every test cell must print
its "passed" line, as the stored outputs say), as a release makes it (every
test cell must fail with NotImplementedError, for 0 points), through the
self-check (9 of 9 points), and with common mistakes put into a solution (the
failing test cell must name the mistake).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from lstm_course.grading.check import check_notebook, collect_results, execute_notebook
from lstm_course.grading.release import release_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "exercises" / "lstm_cell.ipynb"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
POINTS = {"q1_sigmoid_test": 2, "q2_lstm_step_forward_test": 3, "q3_lstm_step_backward_test": 4}
TOTAL_POINTS = 9


def _read():
    return nbformat.read(NOTEBOOK, as_version=4)


def _graded_cells(nb):
    return [cell for cell in nb.cells if "nbgrader" in cell.metadata]


def _test_cells(nb):
    return [cell for cell in _graded_cells(nb) if cell.metadata.nbgrader.grade]


def _stdout(cell) -> str:
    return "".join(out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stdout")


def _errors(cell) -> list:
    return [out for out in cell.outputs if out.output_type == "error"]


def _run(nb):
    return execute_notebook(nb, cwd=NOTEBOOK.parent, timeout=60)


def test_notebook_metadata_is_well_formed():
    nb = _read()
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    cells = _graded_cells(nb)
    assert len(cells) == len(nb.cells), "every cell carries nbgrader metadata"
    grade_ids = [cell.metadata.nbgrader.grade_id for cell in cells]
    assert len(grade_ids) == len(set(grade_ids)), "grade_ids must be unique"
    points = {}
    for cell in cells:
        meta = cell.metadata.nbgrader
        assert meta.schema_version == 3, meta.grade_id
        has_markers = BEGIN in cell.source or END in cell.source
        if meta.solution:
            assert cell.cell_type == "code" and not meta.locked and not meta.grade, meta.grade_id
            assert cell.source.count(BEGIN) == cell.source.count(END) == 1, meta.grade_id
            assert cell.source.index(BEGIN) < cell.source.index(END), meta.grade_id
            # The def line and the docstring stay outside the solution region.
            assert cell.source.startswith("def ") and '"""' in cell.source.split(BEGIN)[0], meta.grade_id
        else:
            assert meta.locked and not has_markers, meta.grade_id
        if meta.grade:
            assert cell.cell_type == "code" and meta.points > 0, meta.grade_id
            points[meta.grade_id] = meta.points
    assert points == POINTS
    assert sum(points.values()) == TOTAL_POINTS


def test_stored_notebook_passes_every_test_cell():
    stored = _read()
    for cell in _test_cells(stored):  # the stored outputs are the passed lines
        number = cell.metadata.nbgrader.grade_id[1]
        assert [out.output_type for out in cell.outputs] == ["stream"], cell.metadata.nbgrader.grade_id
        assert _stdout(cell) == f"Q{number} passed ({cell.metadata.nbgrader.points} points)\n"
    executed = _run(copy.deepcopy(stored))
    for before, after in zip(_test_cells(stored), _test_cells(executed)):
        assert not _errors(after), after.metadata.nbgrader.grade_id
        assert after.outputs == before.outputs, "stored outputs are out of date"
    for cell in executed.cells:
        assert all(out.get("name") != "stderr" for out in cell.get("outputs", [])), cell.id


def test_the_source_scores_full_points():
    results = check_notebook(NOTEBOOK)
    assert [(r.grade_id, r.points, r.passed) for r in results] == [(g, p, True) for g, p in POINTS.items()]
    assert sum(r.earned for r in results) == TOTAL_POINTS


def test_the_released_notebook_scores_zero_with_only_not_implemented_errors():
    student = release_notebook(_read())
    for cell in _graded_cells(student):
        assert BEGIN not in cell.source and END not in cell.source
        if cell.metadata.nbgrader.solution:
            assert "raise NotImplementedError()" in cell.source
    results = collect_results(_run(student))
    assert [r.grade_id for r in results] == list(POINTS)
    assert sum(r.earned for r in results) == 0
    for cell in _test_cells(student):
        assert "passed" not in _stdout(cell), cell.metadata.nbgrader.grade_id
        assert [error.ename for error in _errors(cell)] == ["NotImplementedError"], cell.metadata.nbgrader.grade_id


# (answer cell, line of the solution, the mistaken line, test cell, what its message must say)
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
    nb = _read()
    cells = {cell.metadata.nbgrader.grade_id: cell for cell in nb.cells}
    assert cells[answer_id].source.count(right) == 1
    cells[answer_id].source = cells[answer_id].source.replace(right, wrong)
    results = {r.grade_id: r for r in collect_results(_run(nb))}
    later = list(POINTS)[list(POINTS).index(test_id):]  # Q3 checks the forward of Q2 first, so it fails too
    assert [g for g, r in results.items() if not r.passed] == (later if answer_id.startswith("q2") else [test_id])
    (error,) = _errors(cells[test_id])
    assert error.ename == "AssertionError"
    for text in says:
        assert text in error.evalue
    if answer_id.startswith("q2"):
        assert "which Q3 builds on (pass Q2 first)" in results["q3_lstm_step_backward_test"].feedback
