"""Grade one submitted notebook: its answers run in a student process, its tests run here.

``grade_notebook`` walks the source's steps (see ``assignment.py``). Answer
cells, and the source's set-up cells, run in a fresh ``StudentProcess`` in a
sandbox of its own; the source's test cells, hidden tests included, run in
this process against a namespace in which each name an answer defines stands
for what the student's code bound to it (``remote.StudentSession``). A test
cell earns its points when it raises nothing.

When the student process dies (a cell or a call ran past the time limit, the
code called ``os._exit``, the memory or CPU limit was hit, a reply broke the
protocol), the question at fault gets zero with the reason, a new process
replays every cell that had run except the one at fault, and grading goes on:
one endless loop costs one question. Everything the student's code runs,
replays included, spends one time budget per notebook
(``Limits.notebook_timeout``); when it is used up, the questions not yet
graded get zero, so a notebook never takes longer than that budget, however
many cells sleep just under the per-cell limit.

``StudentProcesses`` starts the processes and keeps one started ahead, with
the source's set-up cells already sent, so a student's grading does not wait
for Python and NumPy to start.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .assignment import Assignment, Step, SubmissionError, read_answers
from .remote import BudgetUsedUp, StudentProcess, StudentProcessDied, StudentSession, runtime_folder
from .results import Limits, NotebookGrade, QuestionGrade, trim, zero_grade

__all__ = ["StudentProcesses", "grade_notebook"]

_RUNS_IN_STUDENT_PROCESS = ("shared", "student")


class StudentProcesses:
    """Starts student processes, keeping one started ahead; their files live under one temporary folder."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._root = Path(tempfile.mkdtemp(prefix="lstm-course-grade-"))
        self._runtime = runtime_folder(self._root)
        self._spare: tuple[str, StudentProcess] | None = None

    def _new(self, assignment: Assignment, *, prelude: bool) -> StudentProcess:
        # the CPU limit is a backstop behind the notebook's time budget, which ends the process first
        cpu_s = int(self.limits.notebook_timeout) + 10
        process = StudentProcess(self._runtime, memory_mb=self.limits.memory_mb, cpu_s=cpu_s,
                                 sandboxed=self.limits.sandbox)
        if prelude:
            deadline = time.monotonic() + self.limits.timeout
            for step in assignment.prelude:
                if step.kind in _RUNS_IN_STUDENT_PROCESS:
                    process.send({"op": "exec", "code": step.code, "name": step.grade_id}, deadline=deadline)
        return process

    def take(self, assignment: Assignment) -> StudentProcess:
        """A fresh process that has been sent ``assignment``'s set-up cells."""
        if self._spare is not None and self._spare[0] == assignment.fingerprint:
            process, self._spare = self._spare[1], None
            return process
        return self._new(assignment, prelude=True)

    def blank(self, assignment: Assignment) -> StudentProcess:
        """A fresh process that has run nothing."""
        return self._new(assignment, prelude=False)

    def prestart(self, assignment: Assignment) -> None:
        """Start the process for the next submission of ``assignment`` now, while this one is graded."""
        if self._spare is not None:
            if self._spare[0] == assignment.fingerprint:
                return
            self._spare[1].kill()
        self._spare = (assignment.fingerprint, self._new(assignment, prelude=True))

    def close(self) -> None:
        if self._spare is not None:
            self._spare[1].kill()
            self._spare = None
        shutil.rmtree(self._root, ignore_errors=True)


class _Unbound:
    """Stands for a name an answer should have defined and did not."""

    def __init__(self, name: str, grade_id: str, why: str | None):
        self._message = f"{name} is not defined: the answer cell {grade_id} did not define it" + (
            f" (the cell raised {why})" if why else "")

    def __call__(self, *args, **kwargs):
        raise NameError(self._message)

    def __getattr__(self, name: str):
        raise NameError(self._message)


class _GiveUp(Exception):
    """The student process could not be brought back after a failure."""


class _Grading:
    """The state of one notebook's grading."""

    def __init__(self, assignment: Assignment, answers: dict, limits: Limits, processes: StudentProcesses,
                 budget: float):
        self.assignment, self.answers, self.limits, self.processes = assignment, answers, limits, processes
        self.budget = budget
        self.session = StudentSession(processes.take(assignment), timeout=limits.timeout, budget=budget)
        self.namespace = {"__name__": "__grader__", "__builtins__": builtins}
        # cells that ran in the student process, for a replay: the set-up cells were sent ahead
        self.log = [(s.grade_id, s.code) for s in assignment.prelude if s.kind in _RUNS_IN_STUDENT_PROCESS]
        self.answered: list[Step] = []  # answer steps run so far, whose names are bound
        self.answer_errors: dict[str, str] = {}

    def close(self) -> None:
        self.session.process.kill()

    def restart(self, died: StudentProcessDied) -> None:
        """A new process in the state of the old one, minus the cell or call that killed it."""
        if isinstance(died, BudgetUsedUp):
            raise _GiveUp(f"{died}: {self.budget:g} s for the whole notebook") from None
        self.session.replace(self.processes.blank(self.assignment))
        for grade_id, code in self.log:
            self.session.start_cell()
            try:
                self.session.execute(code, grade_id)
            except BudgetUsedUp as error:
                raise _GiveUp(f"{error}: {self.budget:g} s for the whole notebook, "
                              "its replays after a restart included") from None
            except StudentProcessDied as error:
                raise _GiveUp(f"the code failed again while its earlier cells were run anew ({error})") from None
        for step in self.answered:
            self.bind(step)

    def run_in_student_process(self, grade_id: str, code: str) -> str | None:
        """Execute a cell in the student process; its error, if any."""
        self.session.start_cell()
        try:
            error = self.session.execute(code, grade_id)
        except StudentProcessDied as died:
            self.restart(died)
            return str(died)
        self.log.append((grade_id, code))
        return error

    def bind(self, step: Step) -> None:
        for name in step.names:
            self.session.start_cell()
            try:
                value, bound = self.session.remote_name(name, in_place=name in step.in_place)
            except StudentProcessDied as died:
                self.restart(died)
                value, bound = None, False
            self.namespace[name] = value if bound else _Unbound(name, step.grade_id,
                                                                self.answer_errors.get(step.grade_id))

    def run_in_grader(self, step: Step) -> str | None:
        """Execute a source cell here; its error as "Name: message", if any."""
        self.session.start_cell()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(step.code, f"<{step.grade_id}>", "exec"), self.namespace)
        except StudentProcessDied as died:
            self.restart(died)
            return str(died)
        except Exception as error:  # a failed test: AssertionError, or whatever the student's code raised
            message = str(error)
            return f"{type(error).__name__}: {message}" if message else type(error).__name__
        return None


def _reset_random_states() -> None:
    # The test cells run in this process, which grades many students: start each from the same state.
    np.random.seed(0)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(0)


def grade_notebook(assignment: Assignment, path: Path, limits: Limits, processes: StudentProcesses, *,
                   budget: float = float("inf")) -> NotebookGrade:
    """Grade the submission at ``path`` against ``assignment``; never raises for a bad submission.

    The student's code may run ``limits.notebook_timeout`` seconds in all, or ``budget`` if that is less
    (what is left of the submission's time).
    """
    try:
        answers = read_answers(path, assignment)
    except SubmissionError as error:
        return zero_grade(assignment, str(error), "not submitted" if not os.path.lexists(path) else "failed")
    notes = [f"the answer cell {grade_id} is missing from the notebook: its questions were graded without it"
             for grade_id in sorted(assignment.answer_ids - answers.keys())]
    _reset_random_states()
    grading = _Grading(assignment, answers, limits, processes, min(limits.notebook_timeout, budget))
    questions, recent_errors = [], []
    prelude = len(assignment.prelude)
    try:
        for index, step in enumerate(assignment.steps):
            if step.kind in _RUNS_IN_STUDENT_PROCESS and index >= prelude:
                grading.run_in_student_process(step.grade_id, step.code)
            if step.kind == "shared":
                error = grading.run_in_grader(step)
                if error:
                    notes.append(f"the set-up cell {step.grade_id} failed: {error}")
            elif step.kind == "answer":
                if step.grade_id in answers:
                    error = grading.run_in_student_process(step.grade_id, answers[step.grade_id])
                    if error:
                        grading.answer_errors[step.grade_id] = error
                        recent_errors.append(f"your answer cell {step.grade_id} raised {error}")
                grading.answered.append(step)
                grading.bind(step)
            elif step.kind == "test":
                error = grading.run_in_grader(step)
                if error is None:
                    questions.append(QuestionGrade(step.grade_id, step.points, step.points, "passed", ""))
                else:
                    feedback = "\n".join([error, *recent_errors])
                    questions.append(QuestionGrade(step.grade_id, 0, step.points, "failed", trim(feedback)))
                recent_errors = []
    except _GiveUp as error:
        done = {q.question for q in questions}
        questions += [QuestionGrade(q.grade_id, 0, q.points, "failed", trim(str(error)))
                      for q in assignment.questions if q.grade_id not in done]
        notes.append(str(error))
    finally:
        grading.close()
    return NotebookGrade(assignment.name, tuple(questions), tuple(notes))
