"""Assertions shared by the tests of the exercise notebooks in ``exercises/``.

Notebooks are run with the package's own ``execute_notebook`` (the one
``lstm-course check`` uses) and released with ``release_notebook``, so the
tests exercise the same code paths as students and instructors.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from lstm_course.grading.check import collect_results, execute_notebook
from lstm_course.grading.release import BEGIN_SOLUTION, END_SOLUTION, release_notebook

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def read(path: Path):
    return nbformat.read(path, as_version=4)


def graded_cells(nb) -> list:
    return [cell for cell in nb.cells if "nbgrader" in cell.metadata]


def question_cells(nb) -> list:
    """The graded test cells, one per question."""
    return [cell for cell in graded_cells(nb) if cell.metadata.nbgrader.grade]


def stdout(cell) -> str:
    return "".join(out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stdout")


def errors(cell) -> list:
    return [out for out in cell.outputs if out.output_type == "error"]


def run(nb, path: Path):
    """Execute ``nb`` in place, in the folder of ``path``, errors allowed; return it."""
    return execute_notebook(nb, cwd=path.parent, timeout=60)


def _assert_one_region_after_docstring(source: str, where: str) -> None:
    before, marker, after = source.partition(BEGIN_SOLUTION)
    assert marker and END_SOLUTION not in before, where
    assert before.count('"""') == 2, f"{where}: the def line and the docstring come before the solution"
    assert after.count(END_SOLUTION) == 1 and BEGIN_SOLUTION not in after, where


def assert_answer_cell_shape(source: str, grade_id: str) -> None:
    """A function answer: its def line and docstring, then one solution region. A class answer: the class
    line and docstring, then each method with its def line, docstring and one solution region."""
    if source.startswith("class "):
        head, *methods = source.split("\n    def ")
        assert methods and BEGIN_SOLUTION not in head and END_SOLUTION not in head, grade_id
        for method in methods:
            _assert_one_region_after_docstring(method, f"{grade_id}, method {method.split('(')[0]}")
    else:
        assert source.startswith("def "), f"{grade_id}: an answer cell starts with its def line"
        _assert_one_region_after_docstring(source, grade_id)


def assert_metadata_well_formed(nb) -> dict:
    """nbgrader schema 3 metadata, unique grade_ids, solution markers in order in
    answer cells only, locked test cells with points; returns {test grade_id: points}."""
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    cells = graded_cells(nb)
    assert len(cells) == len(nb.cells), "every cell carries nbgrader metadata"
    grade_ids = [cell.metadata.nbgrader.grade_id for cell in cells]
    assert len(grade_ids) == len(set(grade_ids)), "grade_ids must be unique"
    points = {}
    for cell in cells:
        meta = cell.metadata.nbgrader
        assert meta.schema_version == 3, meta.grade_id
        has_markers = BEGIN_SOLUTION in cell.source or END_SOLUTION in cell.source
        if meta.solution:
            assert cell.cell_type == "code" and not meta.locked and not meta.grade, meta.grade_id
            assert_answer_cell_shape(cell.source, meta.grade_id)
        else:
            assert meta.locked and not has_markers, meta.grade_id
        if meta.grade:
            assert cell.cell_type == "code" and meta.points > 0, meta.grade_id
            points[meta.grade_id] = meta.points
    return points


def assert_stored_outputs_are_current(path: Path) -> None:
    """Each test cell's stored output is its one "Qn passed (k points)" line, and
    executing the notebook again reproduces every stored test output, with no stderr."""
    stored = read(path)
    for number, cell in enumerate(question_cells(stored), start=1):
        assert [out.output_type for out in cell.outputs] == ["stream"], cell.metadata.nbgrader.grade_id
        assert stdout(cell) == f"Q{number} passed ({cell.metadata.nbgrader.points} points)\n"
    executed = run(copy.deepcopy(stored), path)
    for before, after in zip(question_cells(stored), question_cells(executed)):
        grade_id = after.metadata.nbgrader.grade_id
        assert not errors(after), grade_id
        # A print can reach the kernel's stdout in two messages when the machine is busy: compare the text.
        assert [out.output_type for out in after.outputs] == ["stream"] * len(after.outputs), grade_id
        assert stdout(after) == stdout(before), f"{grade_id}: stored output {stdout(before)!r}, now {stdout(after)!r}"
    for cell in executed.cells:
        assert all(out.get("name") != "stderr" for out in cell.get("outputs", [])), cell.id


def run_released(path: Path):
    """Release the notebook at ``path``, check its stubs, execute it and return it."""
    student = release_notebook(read(path))
    for cell in graded_cells(student):
        assert BEGIN_SOLUTION not in cell.source and END_SOLUTION not in cell.source
        if cell.metadata.nbgrader.solution:
            assert "raise NotImplementedError()" in cell.source
    return run(student, path)


def assert_every_test_fails_with_not_implemented(nb) -> None:
    for cell in question_cells(nb):
        assert "passed" not in stdout(cell), cell.metadata.nbgrader.grade_id
        assert [error.ename for error in errors(cell)] == ["NotImplementedError"], cell.metadata.nbgrader.grade_id


def run_with_mistake(path: Path, answer_id: str, right: str, wrong: str) -> tuple[dict, dict]:
    """Execute the notebook at ``path`` with ``right`` replaced by ``wrong`` in the answer cell ``answer_id``.

    Returns the executed cells and the self-check's results, each by grade_id.
    """
    nb = read(path)
    cells = {cell.metadata.nbgrader.grade_id: cell for cell in nb.cells}
    assert cells[answer_id].source.count(right) == 1, f"{right!r} should occur once in {answer_id}"
    cells[answer_id].source = cells[answer_id].source.replace(right, wrong)
    results = {result.grade_id: result for result in collect_results(run(nb, path))}
    return cells, results


def assert_names_the_mistake(cell, says: list) -> None:
    """The test cell failed with one AssertionError whose message contains every text of ``says``."""
    (error,) = errors(cell)
    assert error.ename == "AssertionError", f"{error.ename}: {error.evalue}"
    for text in says:
        assert text in error.evalue, f"expected {text!r} in the message:\n{error.evalue}"


def assert_mistake_caught(path: Path, question_tests: list, mistake: tuple) -> None:
    """Put a common mistake into a solution and check what the self-checks say.

    ``mistake`` is ``(answer cell, right code, wrong code, test cell that must name it, texts its message must
    contain, every test cell that fails)``; the test cells after the first in that list must say they build on
    its question. ``question_tests`` lists the notebook's test cells in order (Q1 first).
    """
    answer_id, right, wrong, test_id, says, failing = mistake
    cells, results = run_with_mistake(path, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == failing  # the tests of the others use references
    assert_names_the_mistake(cells[test_id], says)
    for later in failing[1:]:
        number, builds_on = question_tests.index(later) + 1, question_tests.index(test_id) + 1
        assert f"which Q{number} builds on (pass Q{builds_on} first)" in results[later].feedback
