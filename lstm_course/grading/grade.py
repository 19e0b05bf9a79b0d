"""Grade a class: every student's notebooks against the source notebooks, in parallel, resumably.

``SUBMISSIONS/<student>/<notebook>.ipynb`` is graded against
``SOURCE/<notebook>.ipynb``. ``grade_class`` writes

- ``OUT/grades.csv``: one row per student, source notebook and question, with
  the columns ``student, notebook, question, points, max_points, status,
  feedback, sandbox``; a notebook a student did not submit gets zero on each
  of its questions with status ``not submitted``; ``sandbox`` says whether the
  student's code ran in the sandbox (``bubblewrap``) or, with ``--no-sandbox``,
  without it (``none``). A cell that a spreadsheet would run as a formula
  (one that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
  is written with a leading ``'``, which spreadsheets read as "this is text";
- ``OUT/feedback/<student>/<notebook>.html``: the feedback page of each
  graded notebook;
- ``OUT/.results/<student>.json``: what a later run reads to skip students
  already graded against the same source notebooks (``force`` grades them
  again).

Students are graded ``jobs`` at a time, each in a worker process of its own
that keeps one student process started ahead (``judge.StudentProcesses``).
One student's notebooks share ``Limits.submission_timeout`` seconds of time
for the student's code; a notebook reached after it is used up gets zero.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import multiprocessing.util
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from . import sandbox
from .assignment import load_assignment
from .feedback import feedback_html
from .judge import StudentProcesses, grade_notebook
from .results import CSV_FEEDBACK_LIMIT, Limits, NotebookGrade, QuestionGrade, zero_grade

__all__ = ["CSV_COLUMNS", "ClassReport", "GradeError", "grade_class", "grade_student"]

CSV_COLUMNS = ("student", "notebook", "question", "points", "max_points", "status", "feedback", "sandbox")
RESULTS = ".results"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class GradeError(RuntimeError):
    """The class cannot be graded: no source notebooks, no submissions folder, an unwritable output."""


@dataclass(frozen=True)
class ClassReport:
    students: int  # in the submissions folder
    graded: int  # graded by this run
    skipped: int  # already graded, results reused
    failed: int  # notebooks the grader itself failed on (a bug: see the feedback)
    csv_path: Path
    sandboxed: bool  # the students' code ran in the sandbox (False: --no-sandbox)


def load_assignments(source: Path) -> list:
    paths = sorted(Path(source).glob("*.ipynb"))
    if not paths:
        raise GradeError(f"no source notebooks (*.ipynb) in {source}")
    assignments = []
    for path in paths:
        try:
            assignments.append(load_assignment(path))
        except (OSError, ValueError) as error:
            raise GradeError(f"cannot read the source notebook {path}: {error}") from None
    return assignments


def find_students(submissions: Path) -> list:
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise GradeError(f"{submissions} is not a folder of submissions (SUBMISSIONS/<student>/<notebook>.ipynb)")
    return sorted(path for path in submissions.iterdir() if path.is_dir() and not path.name.startswith("."))


def grade_student(student_dir: Path, assignments: list, limits: Limits, processes: StudentProcesses) -> list:
    """One ``NotebookGrade`` per source notebook for the student whose notebooks are in ``student_dir``."""
    grades = []
    deadline = time.monotonic() + limits.submission_timeout
    for index, assignment in enumerate(assignments):
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                grade = zero_grade(assignment, f"the time budget of {limits.submission_timeout:g} s for all of the "
                                               "student's notebooks was used up before this one")
            else:
                grade = grade_notebook(assignment, student_dir / assignment.name, limits, processes, budget=left)
        except Exception as error:  # a bug of the grader's must not stop the class
            reason = f"the grader failed on this notebook ({type(error).__name__}: {error}); please report it"
            questions = tuple(QuestionGrade(q.grade_id, 0, q.points, "error", reason) for q in assignment.questions)
            grade = NotebookGrade(assignment.name, questions, (reason,))
        grades.append(grade)
        processes.prestart(assignments[(index + 1) % len(assignments)])  # for the next notebook or student
    return grades


# Each worker process of a parallel run keeps its StudentProcesses from one student to the next.
_worker: dict = {}


def _start_worker(limits: Limits, sources: list) -> None:
    _worker["assignments"] = [load_assignment(path) for path in sources]
    _worker["processes"] = StudentProcesses(limits)
    multiprocessing.util.Finalize(None, _worker["processes"].close, exitpriority=10)


def _grade_in_worker(student_dir: Path, limits: Limits) -> list:
    return grade_student(student_dir, _worker["assignments"], limits, _worker["processes"])


def _fingerprints(assignments: list, limits: Limits) -> dict:
    return {"sandbox": limits.sandbox, **{a.name: a.fingerprint for a in assignments}}


def _load_results(path: Path, assignments: list, limits: Limits) -> Optional[list]:
    """The saved grades at ``path``, or None if absent, unreadable, or graded against other sources or limits."""
    try:
        saved = json.loads(path.read_text())
        if saved["sources"] != _fingerprints(assignments, limits):
            return None
        return [NotebookGrade(g["notebook"], tuple(QuestionGrade(**q) for q in g["questions"]), tuple(g["notes"]))
                for g in saved["grades"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_results(path: Path, grades: list, assignments: list, limits: Limits) -> None:
    data = {"sources": _fingerprints(assignments, limits), "grades": [asdict(grade) for grade in grades]}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=1))
    os.replace(partial, path)  # a run stopped half-way never leaves a half-written result


def _write_feedback(out: Path, student: str, grades: list) -> None:
    folder = out / "feedback" / student
    folder.mkdir(parents=True, exist_ok=True)
    for grade in grades:
        (folder / (Path(grade.notebook).stem + ".html")).write_text(feedback_html(student, grade))


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CSV_FEEDBACK_LIMIT else text[: CSV_FEEDBACK_LIMIT - 3] + "..."


def spreadsheet_text(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text, never running it as a formula.

    >>> spreadsheet_text("=1+1"), spreadsheet_text("@SUM(A1)"), spreadsheet_text("ada")
    ("'=1+1", "'@SUM(A1)", 'ada')
    """
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _write_csv(path: Path, results: dict, limits: Limits) -> None:
    partial = path.with_suffix(".partial")
    sandboxed = "bubblewrap" if limits.sandbox else "none"
    with partial.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for student in sorted(results):
            for grade in results[student]:
                for q in grade.questions:
                    row = [student, grade.notebook, q.question, f"{q.points:g}", f"{q.max_points:g}", q.status,
                           _one_line(q.feedback), sandboxed]
                    writer.writerow([spreadsheet_text(cell) for cell in row])
    os.replace(partial, path)


def _default_progress(done: int, total: int, student: str, grades: list, seconds: float) -> None:
    points = sum(g.points for g in grades)
    max_points = sum(g.max_points for g in grades)
    print(f"[{done}/{total}] {student}: {points:g}/{max_points:g} points ({seconds:.1f} s elapsed)",
          file=sys.stderr, flush=True)


def grade_class(submissions: Path, source: Path, out: Path, *, jobs: int = 1, limits: Limits = Limits(),
                force: bool = False, progress: Optional[Callable] = _default_progress) -> ClassReport:
    """Grade every student folder in ``submissions`` against the notebooks in ``source``; write to ``out``.

    ``progress(done, total, student, grades, seconds)`` is called as each student is graded, with the
    seconds since the run started.

    Raises:
        GradeError: nothing can be graded (see ``GradeError``), or the sandbox cannot run here and
            ``limits.sandbox`` asks for it; a bad submission never raises.
    """
    if jobs < 1:
        raise GradeError(f"jobs must be at least 1, got {jobs}")
    if limits.sandbox and (problem := sandbox.problem()) is not None:
        raise GradeError(f"the sandbox that confines students' code cannot run: {problem}")
    assignments = load_assignments(source)
    students = find_students(submissions)
    out = Path(out)
    try:
        (out / RESULTS).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GradeError(f"cannot write to {out}: {error}") from None

    results, todo = {}, []
    for student_dir in students:
        saved = None if force else _load_results(out / RESULTS / f"{student_dir.name}.json", assignments, limits)
        if saved is None:
            todo.append(student_dir)
        else:
            results[student_dir.name] = saved

    started = time.monotonic()

    def record(student_dir: Path, grades: list) -> None:
        results[student_dir.name] = grades
        _write_feedback(out, student_dir.name, grades)
        _save_results(out / RESULTS / f"{student_dir.name}.json", grades, assignments, limits)
        if progress is not None:
            progress(len(results) - (len(students) - len(todo)), len(todo), student_dir.name, grades,
                     time.monotonic() - started)

    if jobs == 1 or len(todo) <= 1:
        processes = StudentProcesses(limits)
        try:
            if todo:
                processes.prestart(assignments[0])
            for student_dir in todo:
                record(student_dir, grade_student(student_dir, assignments, limits, processes))
        finally:
            processes.close()
    else:
        sources = sorted(Path(source).glob("*.ipynb"))
        context = multiprocessing.get_context("spawn")  # workers import numpy and torch: no fork
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                                 initargs=(limits, sources)) as pool:
            futures = {pool.submit(_grade_in_worker, student_dir, limits): student_dir for student_dir in todo}
            for future in as_completed(futures):
                record(futures[future], future.result())

    csv_path = out / "grades.csv"
    _write_csv(csv_path, results, limits)
    failed = sum(any(q.status == "error" for q in g.questions) for grades in results.values() for g in grades)
    return ClassReport(len(students), len(todo), len(students) - len(todo), failed, csv_path, limits.sandbox)
