"""Builds a small source notebook and a class of submissions to it, honest, broken and malicious.

The source ``quiz.ipynb`` has three answers of increasing points (1, 2, 3):
``double(x)``, ``logistic(x)`` (compared with the package's sigmoid) and
``normalize(x)``, which must scale ``x`` in place (its answer cell declares so in
its metadata, ``lstm_course.in_place``). Each test cell appends one
line to a log file that only the grader can write, so tests can see where
and in which process a test cell ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lstm_course.grading.release import release_notebook

ANSWERS = {
    "q1_double": "def double(x):\n    \"\"\"2 x, elementwise; x: array of any shape.\"\"\"\n"
                 "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
    "q2_logistic": "def logistic(x):\n    \"\"\"The logistic sigmoid, elementwise.\"\"\"\n"
                   "    ### BEGIN SOLUTION\n    return 1 / (1 + np.exp(-x))\n    ### END SOLUTION\n",
    "q3_normalize": "def normalize(x):\n    \"\"\"Divide x in place by its largest absolute value; return None.\"\"\"\n"
                    "    ### BEGIN SOLUTION\n    x /= np.abs(x).max()\n    ### END SOLUTION\n",
}
POINTS = {"q1_double_test": 1, "q2_logistic_test": 2, "q3_normalize_test": 3}


def _tests(log: Path) -> dict:
    def record(label: str) -> str:  # the grader's process id and the question, one line in the log
        return f"with open({str(log)!r}, 'a') as _log:\n    _log.write(f'{{__import__(\"os\").getpid()}} {label}\\n')\n"

    return {
        "q1_double_test": record("q1") + (
            "x = np.random.default_rng(SEED + 1).standard_normal((3, 4))\n"
            "assert np.allclose(double(x), 2 * x), 'double(x) is not 2 x'\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert np.allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0]), 'hidden: double of a range'\n"
            "### END HIDDEN TESTS\n"
            "print('Q1 passed (1 points)')"),
        "q2_logistic_test": record("q2") + (
            "x = 5 * np.random.default_rng(SEED + 2).standard_normal(7)\n"
            "assert np.allclose(logistic(x), reference_sigmoid(x)), 'logistic(x) is wrong'\n"
            "print('Q2 passed (2 points)')"),
        "q3_normalize_test": record("q3") + (
            "x = np.random.default_rng(SEED + 3).standard_normal(6)\n"
            "expected = x / np.abs(x).max()\n"
            "assert normalize(x) is None, 'normalize must return None'\n"
            "assert np.allclose(x, expected), 'x was not normalized in place'\n"
            "print('Q3 passed (3 points)')"),
    }


def _meta(grade_id: str, *, solution=False, grade=False, locked=True, points=None) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(log: Path):
    """The source of the quiz, with solutions and one hidden test; test cells append to ``log``."""
    cells = [new_markdown_cell("# Quiz", metadata=_meta("intro")),
             new_code_cell("import numpy as np\n\nfrom lstm_course.numpy_ref.activations import sigmoid as "
                           "reference_sigmoid\n\nSEED = 7", metadata=_meta("setup"))]
    tests = _tests(log)
    for (answer_id, code), (test_id, points) in zip(ANSWERS.items(), POINTS.items()):
        cells.append(new_code_cell(code, metadata=_meta(answer_id, solution=True, locked=False)))
        if answer_id == "q3_normalize":
            cells[-1].metadata["lstm_course"] = {"in_place": ["normalize"]}
        cells.append(new_code_cell(tests[test_id], metadata=_meta(test_id, grade=True, points=points)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def with_answers(nb, **answers):
    """A copy of ``nb`` whose answer cells hold ``answers`` (grade_id -> code) instead."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def student_version(source):
    """What a student receives: the release of ``source``."""
    return release_notebook(source)


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
