"""Tests of lstm_course.grading.release: student versions of the exercise notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lstm_course.grading.release import ReleaseError, release, release_notebook

NOTEBOOK = Path(__file__).resolve().parents[2] / "exercises" / "rnn_step.ipynb"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def graded(cell, grade_id, *, solution=False, grade=False, points=0):
    """``cell`` with nbgrader metadata."""
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade, "points": points,
                                 "locked": not solution, "schema_version": 3}
    return cell


def answer_cell(source, grade_id="q1"):
    return graded(new_code_cell(source), grade_id, solution=True)


def grade_cell(source, grade_id="q1_test"):
    return graded(new_code_cell(source), grade_id, grade=True, points=1)


def solution_body(source: str) -> list[str]:
    """The non-empty lines strictly between the solution markers."""
    lines = source.split("\n")
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    return [line for b, e in zip(begins, ends) for line in lines[b + 1 : e] if line.strip()]


@pytest.fixture(scope="module")
def source():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    (path,) = release([NOTEBOOK], tmp_path_factory.mktemp("release"))
    return nbformat.read(path, as_version=4)


def test_release_removes_every_solution_and_leaves_the_stub(source, released):
    answers = [(s, r) for s, r in zip(source.cells, released.cells) if s.metadata.nbgrader.solution]
    assert len(answers) == 3, f"expected the 3 answer cells of rnn_step.ipynb, found {len(answers)}"
    for before, after in answers:
        grade_id = after.metadata.nbgrader.grade_id
        assert "SOLUTION" not in after.source, f"{grade_id}: a solution marker is left"
        assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in after.source, f"{grade_id}: no indented stub"
        body = solution_body(before.source)
        assert body, f"{grade_id}: the source has no solution region"
        leaked = [line for line in body if line in after.source.split("\n")]
        assert not leaked, f"{grade_id}: solution lines left in the student version: {leaked}"
        assert after.source.startswith(before.source.split(BEGIN)[0]), f"{grade_id}: the def line or docstring changed"


def test_release_keeps_metadata_and_ids_and_clears_outputs(source, released):
    assert released.metadata == source.metadata, "notebook metadata changed"
    assert [c.metadata for c in released.cells] == [c.metadata for c in source.cells], "cell metadata changed"
    assert [c.get("id") for c in released.cells] == [c.get("id") for c in source.cells], "cell ids changed"
    for cell in released.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"outputs left in cell {cell.id}"
        if cell.metadata.nbgrader.grade:
            assert cell.source == next(c.source for c in source.cells if c.id == cell.id), "a test cell changed"


def test_release_is_byte_for_byte_deterministic(tmp_path, source):
    first = release([NOTEBOOK], tmp_path / "a")[0].read_bytes()
    second = release([NOTEBOOK], tmp_path / "b")[0].read_bytes()
    assert first == second, "two releases of the same source differ"
    assert nbformat.read(NOTEBOOK, as_version=4) == source, "release changed the source file"


def test_release_notebook_leaves_its_input_unchanged():
    nb = new_notebook(cells=[answer_cell(f"x = 1\n{BEGIN}\nx = 2\n{END}")])
    release_notebook(nb)
    assert nb.cells[0].source == f"x = 1\n{BEGIN}\nx = 2\n{END}"


def test_hidden_tests_are_removed_and_visible_tests_kept():
    source = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS\nprint('ok')"
    nb = new_notebook(cells=[answer_cell(f"def f(x):\n    {BEGIN}\n    return x * x\n    {END}"), grade_cell(source)])
    student = release_notebook(nb)
    assert student.cells[1].source == "assert f(1) == 1\nprint('ok')", repr(student.cells[1].source)
    assert student.cells[0].source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_an_answer_cell_without_markers_is_replaced_whole():
    student = release_notebook(new_notebook(cells=[answer_cell("secret = 42")]))
    assert student.cells[0].source == "# YOUR CODE HERE\nraise NotImplementedError()"


@pytest.mark.parametrize(
    "cells, says",
    [
        ([answer_cell(f"{BEGIN}\nx = 1")], "cell 0 (grade_id 'q1'): '### BEGIN SOLUTION' on line 1 is never closed"),
        ([answer_cell(f"x = 1\n{END}")], "cell 0 (grade_id 'q1'): '### END SOLUTION' on line 2 without"),
        ([answer_cell(f"{BEGIN}\n{BEGIN}\n{END}\n{END}")], "'### BEGIN SOLUTION' on line 2 inside the region opened on line 1"),
        ([grade_cell(f"{BEGIN}\nx = 1\n{END}")], "cell 0 (grade_id 'q1_test'): '### BEGIN SOLUTION' found, but"),
        ([new_markdown_cell(f"{BEGIN}\nanswer\n{END}")], "cell 0: '### BEGIN SOLUTION' found, but"),
        ([answer_cell("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS")], "'### BEGIN HIDDEN TESTS' found, but"),
        ([grade_cell("### BEGIN HIDDEN TESTS\nassert True")], "'### BEGIN HIDDEN TESTS' on line 1 is never closed"),
        ([answer_cell(f"x = 1  {BEGIN}\ny = 2\n{END}")], "'### BEGIN SOLUTION' on line 1 must stand on a line of its own"),
        ([answer_cell("x = 1", "q1"), grade_cell("pass", "q1")], "cell 1: grade_id 'q1' is already used by cell 0"),
        ([answer_cell("x = 1", "")], "cell 0: a solution or grade cell without a grade_id"),
    ],
)
def test_malformed_sources_are_refused_with_the_cell_named(cells, says):
    with pytest.raises(ReleaseError) as error:
        release_notebook(new_notebook(cells=cells))
    assert says in str(error.value), f"expected {says!r} in {str(error.value)!r}"


def test_release_names_the_file_and_writes_nothing_on_error(tmp_path):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(new_notebook(cells=[answer_cell(f"{BEGIN}\nx = 1\n{END}")]), good)
    nbformat.write(new_notebook(cells=[answer_cell(f"{BEGIN}\nx = 1")]), bad)
    with pytest.raises(ReleaseError, match=f"^{bad}: cell 0"):
        release([good, bad], tmp_path / "out")
    assert not (tmp_path / "out").exists(), "a failed release wrote files"


def test_release_refuses_to_overwrite_a_source_or_merge_two(tmp_path):
    with pytest.raises(ReleaseError, match="would overwrite the source"):
        release([NOTEBOOK], NOTEBOOK.parent)
    other = tmp_path / "copy" / NOTEBOOK.name
    other.parent.mkdir()
    other.write_bytes(NOTEBOOK.read_bytes())
    with pytest.raises(ReleaseError, match="would both be written to"):
        release([NOTEBOOK, other], tmp_path / "out")


@pytest.mark.parametrize("content", [None, "not json"])
def test_release_reports_an_unreadable_source(tmp_path, content):
    path = tmp_path / "broken.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReleaseError, match=f"cannot read {path}"):
        release([path], tmp_path / "out")
