"""Tests of lstm_course.grading.check: running a notebook and scoring its graded test cells."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lstm_course.grading.check import (FEEDBACK_LIMIT, CheckError, QuestionResult, check_notebook, collect_results,
                                       execute_notebook, format_report)
from lstm_course.grading.release import release

NOTEBOOK = Path(__file__).resolve().parents[2] / "exercises" / "rnn_step.ipynb"


def grade_cell(source, grade_id, points):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": True, "solution": False, "points": points,
                                 "locked": True, "schema_version": 3}
    return cell


def small_notebook() -> nbformat.NotebookNode:
    """Four graded cells: a pass, a long failure, an endless cell, and a pass after it."""
    return new_notebook(cells=[
        new_code_cell("x = 1"),
        grade_cell("assert x == 1", "passes", 1),
        grade_cell("assert x == 2, 'x is wrong; ' * 100", "fails", 2),
        grade_cell("import time\ntime.sleep(60)", "endless", 1),
        grade_cell("import sys\nprint('warning', file=sys.stderr)\nassert x == 1", "after", 1),
    ])


@pytest.fixture(scope="module")
def released_run(tmp_path_factory):
    (path,) = release([NOTEBOOK], tmp_path_factory.mktemp("release"))
    return execute_notebook(nbformat.read(path, as_version=4), cwd=path.parent)


@pytest.fixture(scope="module")
def small_results(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.ipynb"
    nbformat.write(small_notebook(), path)
    return {result.grade_id: result for result in check_notebook(path, timeout=2)}


def test_the_released_notebook_scores_zero_on_every_question(released_run):
    results = collect_results(released_run)
    assert [r.grade_id for r in results] == ["q1_rnn_step_forward_test", "q2_rnn_step_backward_test",
                                             "q3_rnn_forward_test"]
    for result in results:
        assert not result.passed and result.earned == 0, f"{result.grade_id} passed without an answer"
        assert result.feedback == "NotImplementedError", f"{result.grade_id}: {result.feedback!r}"


def test_the_released_notebook_raises_nothing_but_not_implemented(released_run):
    first_question = next(i for i, c in enumerate(released_run.cells) if c.metadata.nbgrader.solution)
    for index, cell in enumerate(released_run.cells):
        errors = [out.ename for out in cell.get("outputs", []) if out.output_type == "error"]
        if index < first_question:
            assert not errors, f"cell {index}, before the first question, raised {errors}"
        assert set(errors) <= {"NotImplementedError"}, f"cell {index} raised {errors}"


def test_the_answered_source_scores_full_marks():
    results = check_notebook(NOTEBOOK)
    assert sum(r.earned for r in results) == 7, format_report(results)
    assert sum(r.points for r in results) == 7 and all(r.passed and not r.feedback for r in results)


def test_a_failing_cell_gives_its_error_as_trimmed_feedback(small_results):
    assert small_results["passes"] == QuestionResult("passes", 1, True, "")
    fails = small_results["fails"]
    assert not fails.passed and fails.earned == 0
    assert fails.feedback.startswith("AssertionError: x is wrong; x is wrong;"), fails.feedback
    assert len(fails.feedback) == FEEDBACK_LIMIT and fails.feedback.endswith("..."), len(fails.feedback)


def test_a_cell_over_its_time_limit_scores_zero_and_the_rest_still_runs(small_results):
    assert small_results["endless"].feedback == "CellTimeout: the cell ran longer than 2 s and was stopped"
    assert small_results["after"].passed, f"the cell after the timeout: {small_results['after'].feedback!r}"


@pytest.mark.parametrize("content", [None, "{not json"])
def test_an_unreadable_notebook_raises_check_error(tmp_path, content):
    path = tmp_path / "broken.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CheckError, match=f"cannot read {path}"):
        check_notebook(path)


def test_format_report_lists_every_question_and_the_total():
    report = format_report([QuestionResult("q1", 2, True, ""), QuestionResult("q2", 3.5, False, "NameError: f")])
    lines = report.split("\n")
    assert lines[0].split() == ["question", "points", "status", "feedback"]
    assert lines[2].split() == ["q1", "2/2", "passed"]
    assert lines[3].split() == ["q2", "0/3.5", "failed", "NameError:", "f"]
    assert lines[-1].split() == ["total", "2/5.5", "1", "of", "2", "questions", "passed"]
    assert lines[2].index("2/2") == lines[3].index("0/3.5") == lines[-1].index("2/5.5"), "columns not aligned"


def test_format_report_says_when_there_is_nothing_to_grade():
    assert "no graded questions" in format_report([])
