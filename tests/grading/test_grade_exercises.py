"""Every exercise notebook in ``exercises/`` can be graded: its solutions earn full marks, its release nothing.

This also checks that each notebook's test cells keep to what the grader can
run outside the student's process (calls with arrays, tensors and numbers).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lstm_course.grading.assignment import load_assignment
from lstm_course.grading.judge import Limits, StudentProcesses, grade_notebook
from lstm_course.grading.release import release_notebook

EXERCISES = sorted((Path(__file__).resolve().parents[2] / "exercises").glob("*.ipynb"))
LIMITS = Limits(timeout=60)


@pytest.fixture(scope="module")
def processes():
    processes = StudentProcesses(LIMITS)
    yield processes
    processes.close()


@pytest.mark.parametrize("source", EXERCISES, ids=[path.stem for path in EXERCISES])
def test_the_solutions_earn_full_marks_and_the_release_zero(source, processes, tmp_path):
    assignment = load_assignment(source)
    solved = grade_notebook(assignment, source, LIMITS, processes)
    assert [(q.question, q.status) for q in solved.questions] == [(q.grade_id, "passed") for q in assignment.questions], \
        [q.feedback for q in solved.questions if q.feedback]
    assert solved.points == assignment.max_points > 0
    assert solved.notes == ()

    student = tmp_path / source.name
    nbformat.write(release_notebook(nbformat.read(source, as_version=4)), student)
    blank = grade_notebook(assignment, student, LIMITS, processes)
    assert blank.points == 0
    assert {q.feedback.splitlines()[0] for q in blank.questions} == {"NotImplementedError"}
