"""Tests of ``lstm-course grade``: each guarantee of the grader, with real notebooks built here.

1. tests and locked cells come from the source; 2. the verdict is reached
outside the student's process and expected values never enter it; 3. each
submission is isolated (time, memory, exits, output, files); 4. malformed
submissions get zero with a reason; 5. grading is deterministic; 6. processes
are fresh per student and started ahead, students are graded in parallel.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from lstm_course.grading import grade as grade_module
from lstm_course.grading import remote, wire
from lstm_course.grading.cli import main
from lstm_course.grading.grade import CSV_COLUMNS, grade_class
from lstm_course.grading.results import FEEDBACK_LIMIT, Limits

from . import class_builder as build

FULL = sum(build.POINTS.values())
LIMITS = Limits(timeout=5, memory_mb=1024)


@pytest.fixture
def course(tmp_path):
    """Paths of a course: source/quiz.ipynb, submissions/, out/, and the test cells' log."""
    paths = {name: tmp_path / name for name in ("source", "submissions", "out")}
    paths["log"] = tmp_path / "grader.log"
    paths["nb"] = build.source_notebook(paths["log"])
    build.write(paths["nb"], paths["source"] / "quiz.ipynb")
    return paths


def submit(course, student: str, **answers):
    """Write ``student``'s quiz: the source's solutions, with ``answers`` put in their place."""
    return build.write(build.with_answers(course["nb"], **answers), course["submissions"] / student / "quiz.ipynb")


def grade(course, **kwargs) -> dict:
    """Grade the class; {student: {question: row}} read back from grades.csv."""
    kwargs.setdefault("limits", LIMITS)
    grade_class(course["submissions"], course["source"], course["out"], progress=None, **kwargs)
    with (course["out"] / "grades.csv").open() as file:
        rows = list(csv.DictReader(file))
    table: dict = {}
    for row in rows:
        table.setdefault(row["student"], {})[row["question"]] = row
    return table


def points(rows: dict) -> dict:
    return {question: float(row["points"]) for question, row in rows.items()}


def test_full_marks_for_the_solutions_and_zero_for_the_student_version(course):
    submit(course, "ada")
    build.write(build.student_version(course["nb"]), course["submissions"] / "bob" / "quiz.ipynb")
    table = grade(course)
    assert points(table["ada"]) == build.POINTS
    assert points(table["bob"]) == dict.fromkeys(build.POINTS, 0)
    assert {row["feedback"] for row in table["bob"].values()} == {"NotImplementedError"}
    with (course["out"] / "grades.csv").open() as file:
        assert tuple(next(csv.reader(file))) == CSV_COLUMNS
    page = (course["out"] / "feedback" / "ada" / "quiz.html").read_text()
    assert f"{FULL} of {FULL}" in page


def test_wrong_answer_fails_the_hidden_test_with_its_message(course):
    submit(course, "eve", q1_double="def double(x):\n    return 2 * x if x.ndim == 2 else x")
    row = grade(course)["eve"]["q1_double_test"]
    assert (row["points"], row["status"]) == ("0", "failed")
    assert row["feedback"] == "AssertionError: hidden: double of a range"


# 1. Tests and locked cells are taken from the source -------------------------------------------------


def test_editing_deleting_or_reordering_test_cells_and_metadata_gains_nothing(course):
    nb = build.with_answers(course["nb"], q1_double="def double(x):\n    return x",
                            q2_logistic="def logistic(x):\n    return np.tanh(x)")
    for cell in nb.cells:
        meta = cell.metadata.nbgrader
        if meta.get("grade"):
            cell.source = "print('passed')"  # the test replaced ...
            meta["points"] = 100  # ... worth more ...
        if meta["grade_id"] == "setup":
            cell.source = "import numpy as np\nnp.allclose = lambda *a, **k: True\nreference_sigmoid = np.tanh\nSEED = 7"
    nb.cells = [cell for cell in nb.cells if cell.metadata.nbgrader["grade_id"] != "q3_normalize_test"]  # deleted
    nb.cells.reverse()  # and everything reordered
    build.write(nb, course["submissions"] / "mallory" / "quiz.ipynb")
    rows = grade(course)["mallory"]
    assert points(rows) == {"q1_double_test": 0, "q2_logistic_test": 0, "q3_normalize_test": 3}
    assert {question: float(row["max_points"]) for question, row in rows.items()} == build.POINTS


# 2. The verdict is reached outside the student's process ---------------------------------------------

MONKEYPATCHES = {
    "numpy.allclose": "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = print\n",
    "builtins": "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\nbuiltins.print = len\n",
    "the package and its checks": "import lstm_course.grading.checks as c\nc.check_close = lambda *a, **k: None\n"
                                  "import lstm_course.numpy_ref.activations as a\na.sigmoid = lambda x: x\n",
    "sys.modules": "import sys, types\nsys.modules['lstm_course.grading.checks'] = types.ModuleType('fake')\n"
                   "sys.modules['numpy.testing'] = None\n",
}


@pytest.mark.parametrize("patch", list(MONKEYPATCHES))
def test_monkeypatching_in_the_notebook_cannot_change_a_grade(course, patch):
    wrong = {"q1_double": MONKEYPATCHES[patch] + "def double(x):\n    return x",
             "q2_logistic": "def logistic(x):\n    return x"}
    submit(course, "mallory", **wrong)
    assert points(grade(course)["mallory"]) == {"q1_double_test": 0, "q2_logistic_test": 0, "q3_normalize_test": 3}


def test_test_cells_run_in_the_grader_not_in_the_student_process(course):
    submit(course, "ada")
    grade(course)
    grader_pids = {line.split()[0] for line in course["log"].read_text().splitlines()}
    assert grader_pids == {str(__import__("os").getpid())}  # -j 1 runs the test cells in this process


def arrays_in(tree, blobs: list) -> list:
    """Every array in a message's header tree."""
    if isinstance(tree, dict):
        if tree.get("t") in ("nd", "torch"):
            return [wire._array_from(tree, blobs)]
        return [array for value in tree.values() for array in arrays_in(value, blobs)]
    if isinstance(tree, list):
        return [array for value in tree for array in arrays_in(value, blobs)]
    return []


def test_expected_values_never_reach_the_student_process(course, monkeypatch):
    sent = []
    original = remote.StudentProcess.send

    def spy(self, header, blobs=(), **kwargs):
        sent.append((json.dumps(header), arrays_in(header, list(blobs))))
        return original(self, header, blobs, **kwargs)

    monkeypatch.setattr(remote.StudentProcess, "send", spy)
    submit(course, "ada")
    assert points(grade(course)["ada"]) == build.POINTS
    x1 = np.random.default_rng(8).standard_normal((3, 4))
    x2 = 5 * np.random.default_rng(9).standard_normal(7)
    expected = [2 * x1, 1 / (1 + np.exp(-x2))]
    arrays = [array for _, blobs in sent for array in blobs]
    assert any(np.array_equal(array, x1) for array in arrays), "the inputs are sent"
    for value in expected:
        assert not any(array.shape == value.shape and np.allclose(array, value) for array in arrays)


@pytest.mark.parametrize("answer", [
    "from lstm_course.numpy_ref.activations import sigmoid\ndef logistic(x):\n    return sigmoid(x)",
    "import lstm_course.numpy_ref as ref\ndef logistic(x):\n    return ref.activations.sigmoid(x)",
    "import torch\nimport lstm_course.nn\ndef logistic(x):\n    return lstm_course.nn.lstm.torch.sigmoid(torch.as_tensor(x)).numpy()",
])
def test_calling_the_package_reference_earns_nothing(course, answer):
    submit(course, "mallory", q2_logistic=answer)
    rows = grade(course, limits=Limits(timeout=60))["mallory"]  # time to import torch on a busy machine
    assert points(rows) == {"q1_double_test": 1, "q2_logistic_test": 0, "q3_normalize_test": 3}
    assert "ReferenceUnavailable" in rows["q2_logistic_test"]["feedback"]


# 3. Isolation --------------------------------------------------------------------------------------

ISOLATION = {  # what the q2 answer does -> a phrase its feedback must contain
    "hangs when called": ("def logistic(x):\n    while True:\n        pass", "time limit of 5 s"),
    "hangs in its cell": ("while True:\n    pass", "time limit of 5 s"),
    "calls os._exit when called": ("import os\ndef logistic(x):\n    os._exit(3)", "ended the Python process"),
    "calls sys.exit in its cell": ("import sys\nsys.exit('bye')", "SystemExit: bye"),
    "allocates without bound": ("def logistic(x):\n    return np.ones((1 << 40,))", "MemoryError"),
    "raises": ("def logistic(x):\n    raise ValueError('no')", "ValueError: no"),
    "prints megabytes": ("def logistic(x):\n    print('x' * (50 << 20))\n    return x", "logistic(x) is wrong"),
    "kills the grader": ("import os, signal\ndef logistic(x):\n    os.kill(os.getppid(), signal.SIGKILL)",
                         "PermissionError: os.kill is not allowed"),
    "starts a process": ("import subprocess\ndef logistic(x):\n    subprocess.run(['true'])",
                         "PermissionError: subprocess.Popen is not allowed"),
}


@pytest.mark.parametrize("case", list(ISOLATION))
def test_a_bad_answer_costs_its_question_and_nothing_else(course, case):
    answer, says = ISOLATION[case]
    submit(course, "mallory", q2_logistic=answer)
    submit(course, "ada")
    table = grade(course)
    assert points(table["mallory"]) == {"q1_double_test": 1, "q2_logistic_test": 0, "q3_normalize_test": 3}
    assert says in table["mallory"]["q2_logistic_test"]["feedback"]
    assert points(table["ada"]) == build.POINTS


def test_feedback_size_is_bounded(course):
    submit(course, "mallory", q1_double="def double(x):\n    raise ValueError('y' * (10 << 20))")
    grade(course)
    page = (course["out"] / "feedback" / "mallory" / "quiz.html").read_text()
    assert len(page) < 4 * FEEDBACK_LIMIT + 4000
    assert (course["out"] / "grades.csv").stat().st_size < 4000


def test_student_code_cannot_write_outside_its_folder(course):
    source = course["source"] / "quiz.ipynb"
    before = source.read_bytes()
    submit(course, "ada")
    grade(course)
    other = course["submissions"] / "ada" / "quiz.ipynb"
    other_before, csv_before = other.read_bytes(), (course["out"] / "grades.csv").read_bytes()
    targets = [source, other, course["out"] / "grades.csv", course["out"] / "planted.txt"]
    writes = "\n".join(f"for write in (lambda: open({str(t)!r}, 'w').write('0'), "
                       f"lambda: np.zeros(1).tofile({str(t)!r}), lambda: os.remove({str(t)!r})):\n"
                       f"    try:\n        write()\n    except OSError as error:\n        errors.append(error)"
                       for t in targets)
    submit(course, "mallory", q1_double=f"import os\nerrors = []\n{writes}\ndef double(x):\n    return 2 * x")
    table = grade(course, force=True)
    assert source.read_bytes() == before
    assert other.read_bytes() == other_before
    assert not (course["out"] / "planted.txt").exists()
    assert points(table["mallory"]) == build.POINTS
    assert (course["out"] / "grades.csv").read_bytes() != csv_before  # rewritten by the grader, with mallory


def test_student_code_cannot_read_the_source_notebook(course):
    path = course["source"] / "quiz.ipynb"
    submit(course, "mallory", q1_double=f"solution = open({str(path)!r}).read()\ndef double(x):\n    return 2 * x")
    row = grade(course)["mallory"]["q1_double_test"]
    assert row["status"] == "failed" and "reading" in row["feedback"] and "is not allowed" in row["feedback"]


# 4. Malformed submissions ---------------------------------------------------------------------------


def test_malformed_submissions_get_zero_with_a_reason_and_the_run_goes_on(course):
    folder = course["submissions"]
    (folder / "not_json").mkdir(parents=True)
    (folder / "not_json" / "quiz.ipynb").write_text("{ this is not json")
    (folder / "old_format").mkdir()
    (folder / "old_format" / "quiz.ipynb").write_text(json.dumps({"nbformat": 3, "cells": [], "worksheets": []}))
    (folder / "empty").mkdir()
    (folder / "wrong_name").mkdir()
    build.write(course["nb"], folder / "wrong_name" / "Quiz (1).ipynb")
    other = build.source_notebook(course["log"])
    for cell in other.cells:
        cell.metadata.nbgrader["grade_id"] = "other_" + cell.metadata.nbgrader["grade_id"]
    build.write(other, folder / "other_assignment" / "quiz.ipynb")
    submit(course, "ada")
    assert main(["grade", str(folder), "--source", str(course["source"]), "--out", str(course["out"]), "--timeout", "5"]) == 0
    table = grade(course)
    reasons = {"not_json": "not valid JSON", "old_format": "format version 3", "empty": "quiz.ipynb was not submitted",
               "wrong_name": "quiz.ipynb was not submitted", "other_assignment": "none of the answer cells"}
    for student, reason in reasons.items():
        assert points(table[student]) == dict.fromkeys(build.POINTS, 0), student
        assert all(reason in row["feedback"] for row in table[student].values()), student
        assert reason in (course["out"] / "feedback" / student / "quiz.html").read_text()
    assert points(table["ada"]) == build.POINTS


# 5. Determinism, resuming -----------------------------------------------------------------------------


def test_grading_twice_gives_the_same_grades(course):
    submit(course, "ada")
    submit(course, "eve", q1_double="def double(x):\n    return 2 * x + np.random.rand() * 1e-9",
           q2_logistic="def logistic(x):\n    return 1 / (1 + np.exp(-x)) + np.random.rand(*x.shape) * 1e-3")
    first = grade(course)
    csv_first = (course["out"] / "grades.csv").read_bytes()
    second = grade(course, force=True)
    assert first == second
    assert (course["out"] / "grades.csv").read_bytes() == csv_first


def test_a_second_run_skips_graded_students_unless_forced_or_the_source_changed(course):
    submit(course, "ada")
    grade(course)
    submit(course, "bob", q1_double="def double(x):\n    return x")
    report = grade_class(course["submissions"], course["source"], course["out"], limits=LIMITS, progress=None)
    assert (report.graded, report.skipped) == (1, 1)
    report = grade_class(course["submissions"], course["source"], course["out"], limits=LIMITS, progress=None,
                         force=True)
    assert (report.graded, report.skipped) == (2, 0)
    nb = course["nb"]
    nb.cells[0].source += "\n\nRevised."
    build.write(nb, course["source"] / "quiz.ipynb")
    report = grade_class(course["submissions"], course["source"], course["out"], limits=LIMITS, progress=None)
    assert (report.graded, report.skipped) == (2, 0)


# 6. Fresh processes, started ahead; parallel students ---------------------------------------------------


def test_each_student_gets_a_fresh_process_and_j2_grades_in_a_pool_of_two_workers(course, monkeypatch):
    pools = []

    class RecordedPool(grade_module.ProcessPoolExecutor):
        def __init__(self, max_workers=None, **kwargs):
            pools.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(grade_module, "ProcessPoolExecutor", RecordedPool)
    answer = "import os\ndef double(x):\n    return 2 * x + 0 * os.getpid()\ndef pid():\n    return os.getpid()"
    for student in ("ada", "bob", "cy", "dee"):
        submit(course, student, q1_double=answer)
    one = grade(course)
    lines_one = course["log"].read_text().splitlines()
    course["log"].unlink()
    two = grade(course, jobs=2, force=True)
    assert one == two
    assert pools == [2]  # -j 1 grades in this process, -j 2 in a pool of two
    assert len({line.split()[0] for line in lines_one}) == 1
    # Which worker takes which student is the pool's choice: on a busy machine the first worker can grade all
    # four before the second has imported torch, so the log shows one or two grader processes, never this one.
    workers = {line.split()[0] for line in course["log"].read_text().splitlines()}
    assert 1 <= len(workers) <= 2 and workers.isdisjoint({line.split()[0] for line in lines_one})


def test_processes_are_started_ahead_and_never_reused(course, monkeypatch):
    started = []
    original = remote.StudentProcess.__init__

    def count(self, *args, **kwargs):
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(remote.StudentProcess, "__init__", count)
    for student in ("ada", "bob", "cy"):
        submit(course, student)
    grade(course)
    # one per student, plus the one started ahead for a next student who does not come
    assert len(started) == 4 and len(set(map(id, started))) == 4
    assert all(not process.alive for process in started)
