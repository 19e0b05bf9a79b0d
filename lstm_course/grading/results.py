"""What grading produces, and every default of the exercise tools, in one place.

``Limits`` is what one submission may use; ``QuestionGrade`` and
``NotebookGrade`` are what the grader finds; ``zero_grade`` is the grade of a
notebook that could not be graded at all. The constants are the defaults of
``lstm-course check`` and ``lstm-course grade`` and the lengths at which
feedback is cut.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CELL_TIMEOUT", "CHECK_FEEDBACK_LIMIT", "CSV_FEEDBACK_LIMIT", "FEEDBACK_LIMIT", "Limits",
           "MEMORY_MB", "NOTEBOOK_TIMEOUT", "SUBMISSION_TIMEOUT", "NotebookGrade", "QuestionGrade", "trim", "zero_grade"]

CELL_TIMEOUT = 30.0  # seconds per cell (nbgrader's default), for check and grade alike
NOTEBOOK_TIMEOUT = 120.0  # seconds the student's code may run in all for one notebook, restarts included
SUBMISSION_TIMEOUT = 600.0  # seconds for all of one student's notebooks together
MEMORY_MB = 2048  # memory the student's code may use (RLIMIT_DATA: heap and private mappings)
FEEDBACK_LIMIT = 2000  # characters of feedback kept per question on the feedback page
CSV_FEEDBACK_LIMIT = 300  # characters of feedback per row of grades.csv
CHECK_FEEDBACK_LIMIT = 240  # characters of an error message in the self-check's table


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    timeout: float = CELL_TIMEOUT  # seconds per cell, and for all the calls one test cell makes
    notebook_timeout: float = NOTEBOOK_TIMEOUT  # seconds per notebook, replays after a restart included
    submission_timeout: float = SUBMISSION_TIMEOUT  # seconds for all of one student's notebooks
    memory_mb: int = MEMORY_MB
    sandbox: bool = True  # False only when the instructor passed --no-sandbox


@dataclass(frozen=True)
class QuestionGrade:
    question: str  # grade_id of the test cell
    points: float  # earned
    max_points: float
    status: str  # "passed", "failed", "not submitted" or "error" (the grader's own failure)
    feedback: str  # empty when passed


@dataclass(frozen=True)
class NotebookGrade:
    notebook: str  # file name
    questions: tuple
    notes: tuple = ()  # what the student should know beyond single questions

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_points(self) -> float:
        return sum(q.max_points for q in self.questions)


def trim(text: str, limit: int = FEEDBACK_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    return text if len(text) <= limit else text[: limit - 20] + " ... (cut short)"


def zero_grade(assignment, reason: str, status: str = "failed") -> NotebookGrade:
    """Zero on every question of ``assignment``, for ``reason``."""
    questions = tuple(QuestionGrade(q.grade_id, 0, q.points, status, trim(reason)) for q in assignment.questions)
    return NotebookGrade(assignment.name, questions, (trim(reason),))
