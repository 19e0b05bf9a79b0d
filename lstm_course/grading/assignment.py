"""What the grader takes from a source notebook, and what it takes from a submission.

A source notebook (the instructor's, with solutions and hidden tests) is cut
into ``Step``s, one per code cell, by its nbgrader metadata:

========  =====================================  ===================================
kind      cells                                  where the grader runs them
========  =====================================  ===================================
answer    ``solution: true``                     the student process, with the code
                                                 of the submission's cell of the
                                                 same ``grade_id``
test      ``grade: true``                        the grader, from the source (hidden
                                                 tests included)
shared    other locked cells (set-up, helpers)   both, from the source
student   any other code cell                    the student process, from the source
========  =====================================  ===================================

Only answer cells are read from a submission, matched by ``grade_id``; a
submission's test cells, locked cells, metadata and cell order are ignored,
so editing them gains nothing. A submission must be a regular file: a symbolic
link (to the source, or to another student's notebook) or any other kind of
file earns zero. The names an answer cell defines in the source
(its top-level functions, classes and assignments) are the names the test
cells may use; the grader binds each of them to what the student's code
bound to it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Assignment", "Question", "Step", "SubmissionError", "load_assignment", "read_answers"]

SUBMISSION_SIZE_LIMIT = 20 << 20  # bytes; a bigger file is not read


class SubmissionError(ValueError):
    """A submission that cannot be graded at all (its reason goes into the feedback)."""


@dataclass(frozen=True)
class Step:
    kind: str  # "answer", "test", "shared" or "student"
    grade_id: str  # nbgrader grade_id, or "cell <n>" for a cell without one
    code: str  # the source's code (for an answer: the solution, never run by the grader)
    points: float = 0  # test cells only
    names: tuple = ()  # answer cells only: the top-level names the source's solution defines
    in_place: tuple = ()  # answer cells only: the names declared to change their array arguments in place


@dataclass(frozen=True)
class Question:
    grade_id: str  # of the test cell
    points: float


@dataclass(frozen=True)
class Assignment:
    name: str  # file name, e.g. "lstm_cell.ipynb"
    steps: tuple
    fingerprint: str  # sha256 of the source file: results graded against other sources are stale
    questions: tuple = field(default=())

    @property
    def answer_ids(self) -> set:
        return {step.grade_id for step in self.steps if step.kind == "answer"}

    @property
    def max_points(self) -> float:
        return sum(question.points for question in self.questions)

    @property
    def prelude(self) -> tuple:
        """The steps before the first answer: the same for every student, so a process can run them ahead."""
        prelude = []
        for step in self.steps:
            if step.kind in ("answer", "test"):
                break
            prelude.append(step)
        return tuple(prelude)


def defined_names(code: str) -> tuple:
    """Top-level names bound by ``code``: functions, classes, assignment targets (in order, once each).

    >>> defined_names("import numpy as np\\ndef f(x):\\n    y = 1\\nclass C: pass\\na, (b, c) = 1, (2, 3)")
    ('f', 'C', 'a', 'b', 'c')
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ()
    names = []

    def targets(node) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                targets(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
    return tuple(dict.fromkeys(names))


def load_assignment(path: Path) -> Assignment:
    """The steps and questions of the source notebook at ``path``.

    Raises:
        ValueError: the file is not a notebook, or has no graded test cell.
    """
    path = Path(path)
    data = path.read_bytes()
    nb = nbformat.reads(data.decode(), as_version=4)
    steps, questions = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id") or f"cell {index}"
        if meta.get("solution"):
            in_place = tuple(cell.metadata.get("lstm_course", {}).get("in_place", ()))
            names = defined_names(cell.source)
            if not set(in_place) <= set(names):
                raise ValueError(f"{path}: the answer cell {grade_id} declares in_place names it does not define: "
                                 f"{sorted(set(in_place) - set(names))}")
            steps.append(Step("answer", grade_id, cell.source, names=names, in_place=in_place))
        elif meta.get("grade"):
            points = float(meta.get("points", 0))
            steps.append(Step("test", grade_id, cell.source, points=points))
            questions.append(Question(grade_id, points))
        elif meta.get("locked"):
            steps.append(Step("shared", grade_id, cell.source))
        else:
            steps.append(Step("student", grade_id, cell.source))
    if not questions:
        raise ValueError(f"{path} has no graded test cell (nbgrader grade: true)")
    return Assignment(path.name, tuple(steps), hashlib.sha256(data).hexdigest(), tuple(questions))


def _read_submission(path: Path, assignment: Assignment) -> bytes:
    """The bytes of the regular file at ``path``, never following a symbolic link."""
    try:
        folder = os.lstat(path.parent)
    except OSError:
        raise SubmissionError(f"{assignment.name} was not submitted") from None
    if stat.S_ISLNK(folder.st_mode):
        raise SubmissionError("the student's folder is a symbolic link, not a folder: it is not graded")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SubmissionError(f"{assignment.name} was not submitted") from None
    except OSError as error:  # ELOOP: the name is a symbolic link
        if os.path.islink(path):
            raise SubmissionError(f"{assignment.name} is a symbolic link, not a notebook file: it is not graded") \
                from None
        raise SubmissionError(f"{assignment.name} cannot be read ({error.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{assignment.name} is not a regular file: it is not graded")
        if info.st_size > SUBMISSION_SIZE_LIMIT:
            raise SubmissionError(f"the file is larger than {SUBMISSION_SIZE_LIMIT >> 20} MiB")
        return file.read(SUBMISSION_SIZE_LIMIT + 1)


def read_answers(path: Path, assignment: Assignment) -> dict:
    """The code of the submission's answer cells, by ``grade_id``: only cells the source has as answers.

    Raises:
        SubmissionError: the file is missing, a link or not a regular file, too large, not a notebook,
            or holds none of the answer cells.
    """
    data = _read_submission(Path(path), assignment)
    try:
        data = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise SubmissionError(f"the file is not a notebook: it is not valid JSON ({str(error)[:200]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError("the file is not a notebook: it has no list of cells")
    if data.get("nbformat") != 4:
        raise SubmissionError(f"the notebook has format version {data.get('nbformat')!r}; "
                              "save it from Jupyter as a version 4 notebook (.ipynb)")
    answers = {}
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        grade_id = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta, dict) and isinstance(
            meta.get("nbgrader"), dict) else None
        source = cell.get("source", "")
        source = "".join(str(line) for line in source) if isinstance(source, list) else source
        if grade_id in assignment.answer_ids and grade_id not in answers and isinstance(source, str):
            answers[grade_id] = source
    if not answers:
        raise SubmissionError(f"the notebook holds none of the answer cells of {assignment.name} "
                              f"(cells are matched by nbgrader grade_id): is it the notebook of another exercise?")
    return answers
