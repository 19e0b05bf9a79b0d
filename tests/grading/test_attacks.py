"""A class in which some students attack the grader: the honest students' grades are the ones they earned.

Every attacker is graded right before an honest student, in one run of
``lstm-course grade``; the run must exit with 0, write ``grades.csv``, change
nothing outside its output folder and leave no process behind. The attackers
first neuter the checks inside their own process (see ``test_sandbox.NEUTER``).
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from lstm_course.grading import remote
from lstm_course.grading.assignment import load_assignment
from lstm_course.grading.cli import main
from lstm_course.grading.grade import grade_class
from lstm_course.grading.judge import StudentProcesses, grade_notebook
from lstm_course.grading.results import Limits

from . import class_builder as build
from .test_sandbox import NEUTER, PACKAGE

EXERCISES = sorted((Path(__file__).resolve().parents[2] / "exercises").glob("*.ipynb"))
HONEST = build.POINTS


def _answer(code: str) -> str:
    """An answer to q1 that runs ``code`` (after neutering the in-process checks), then answers honestly."""
    return NEUTER + "\ntry:\n" + "\n".join("    " + line for line in code.strip().splitlines()) + \
        "\nexcept BaseException:\n    pass\ndef double(x):\n    return 2 * x\n"


def attacks(source: Path, out: Path) -> dict:
    """name -> the q1 answer of an attacker."""
    return {
        "spawns_and_kills": _answer("import os, signal, subprocess\n"
                                    "subprocess.Popen(['/bin/sh', '-c', 'sleep 600'], start_new_session=True)\n"
                                    "for pid in range(1, 5000):\n"
                                    "    try:\n        os.kill(pid, signal.SIGKILL)\n"
                                    "    except OSError:\n        pass"),
        "reads_the_source": _answer(f"SOLUTION = open({str(source)!r}).read()"),
        "loads_the_reference": _answer(
            "import importlib.util\n"
            f"spec = importlib.util.spec_from_file_location('r', {str(PACKAGE / 'numpy_ref' / 'activations.py')!r})\n"
            "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)"),
        "writes_the_output": _answer(f"open({str(out / 'grades.csv')!r}, 'w').write('student,points\\nme,100')"),
        "floods_the_disk": _answer("with open('flood', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))"),
        "fork_bomb": _answer("import os\nwhile True:\n    os.fork()"),
        "forges_a_reply": _answer("import os, sys, json, struct\n"
                                  "head = json.dumps({'ok': True, 'value': None, 'blobs': [],\n"
                                  "                   'np_random': ['MT19937', [0] * 624, 10**9, 0, 0.0]}).encode()\n"
                                  "body = struct.pack('>I', len(head)) + head\n"
                                  "os.write(int(sys.argv[2]), struct.pack('>Q', len(body)) + body)"),
    }


def snapshot(folder: Path, skip: Path) -> dict:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*"))
            if path.is_file() and skip not in path.parents}


def grader_processes() -> list:
    """Processes of a grading run still alive (a student process, its sandbox, or what they started)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "lstm-course-grade-" in cmdline or "/opt/grader/child.py" in cmdline or cmdline == "sleep 600":
            found.append(cmdline[:200])
    return found


def test_attackers_gain_nothing_and_the_honest_students_after_them_keep_their_marks(tmp_path):
    paths = {name: tmp_path / name for name in ("source", "submissions", "out")}
    nb = build.source_notebook(paths["out"] / "grader.log")  # the test cells write it, in the grader
    source = build.write(nb, paths["source"] / "quiz.ipynb")
    students = []
    for index, (name, answer) in enumerate(attacks(source, paths["out"]).items()):
        build.write(build.with_answers(nb, q1_double=answer, q2_logistic="def logistic(x):\n    return x"),
                    paths["submissions"] / f"{index:02d}a_{name}" / "quiz.ipynb")
        build.write(nb, paths["submissions"] / f"{index:02d}b_honest" / "quiz.ipynb")
        students.append(f"{index:02d}a_{name}")
    # a submission that is a link to the source, and a folder that is a link to an honest student's
    (paths["submissions"] / "90_links_the_source").mkdir()
    (paths["submissions"] / "90_links_the_source" / "quiz.ipynb").symlink_to(source)
    (paths["submissions"] / "91_links_a_folder").symlink_to(paths["submissions"] / "00b_honest")
    for name in ("=1+2", "+1", "-2", "@SUM(A1)"):
        build.write(nb, paths["submissions"] / name / "quiz.ipynb")
    before = snapshot(tmp_path, paths["out"])
    temporary = set(Path(tempfile.gettempdir()).glob("lstm-course-grade-*"))

    assert main(["grade", str(paths["submissions"]), "--source", str(paths["source"]), "--out", str(paths["out"]),
                 "--timeout", "5", "--memory-mb", "1024"]) == 0

    assert snapshot(tmp_path, paths["out"]) == before
    assert set(Path(tempfile.gettempdir()).glob("lstm-course-grade-*")) == temporary
    assert grader_processes() == []
    with (paths["out"] / "grades.csv").open() as file:
        rows = list(csv.DictReader(file))
    table: dict = {}
    for row in rows:
        table.setdefault(row["student"], {})[row["question"]] = float(row["points"])
        assert row["sandbox"] == "bubblewrap"
    for index, name in enumerate(attacks(source, paths["out"])):
        assert table[f"{index:02d}b_honest"] == HONEST, name
        assert table[f"{index:02d}a_{name}"]["q2_logistic_test"] == 0, name
        assert sum(table[f"{index:02d}a_{name}"].values()) <= HONEST["q1_double_test"] + HONEST["q3_normalize_test"]
    assert sum(table["90_links_the_source"].values()) == 0
    assert sum(table["91_links_a_folder"].values()) == 0
    spreadsheet = {"'=1+2", "'+1", "'-2", "'@SUM(A1)"}
    assert spreadsheet <= set(table), sorted(table)
    assert all(table[name] == HONEST for name in spreadsheet)


def test_a_declared_in_place_function_that_zeroes_its_input_fails(tmp_path):
    nb = build.source_notebook(tmp_path / "grader.log")
    build.write(nb, tmp_path / "source" / "quiz.ipynb")
    build.write(build.with_answers(nb, q3_normalize="def normalize(x):\n    x[...] = 0"),
                tmp_path / "submissions" / "mallory" / "quiz.ipynb")
    grade_class(tmp_path / "submissions", tmp_path / "source", tmp_path / "out", limits=Limits(timeout=5),
                progress=None)
    with (tmp_path / "out" / "grades.csv").open() as file:
        rows = {row["question"]: row for row in csv.DictReader(file)}
    assert rows["q3_normalize_test"]["points"] == "0" and "in place" in rows["q3_normalize_test"]["feedback"]


# In-place changes on every exercise ---------------------------------------------------------------

ZEROING = '''
import sys as _sys

import numpy as _np


def _zeroed(value, copy):
    if isinstance(value, _np.ndarray) and value.dtype.kind in "fiu":
        if copy:
            return _np.zeros_like(value)
        value[...] = 0
        return value
    _torch = _sys.modules.get("torch")
    if _torch is not None and isinstance(value, _torch.Tensor) and value.is_floating_point():
        if copy:
            return _torch.zeros_like(value)
        with _torch.no_grad():
            value.zero_()
        return value
    if type(value) in (list, tuple):
        return type(value)(_zeroed(item, copy) for item in value)
    if type(value) is dict:
        return {key: _zeroed(item, copy) for key, item in value.items()}
    return value
'''


def _zeroing(nb, copy: bool):
    """``nb`` whose answer functions run on zeroed inputs: zeroed in place, or zeroed copies (``copy``)."""
    nb = build.with_answers(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        functions = [line.split("(")[0][4:] for line in cell.source.splitlines() if line.startswith("def ")]
        wrappers = "".join(f"\n_original_{name} = {name}\n\ndef {name}(*args, **kwargs):\n"
                           f"    return _original_{name}(*_zeroed(args, {copy}), **_zeroed(kwargs, {copy}))\n"
                           for name in functions)
        cell.source = ZEROING + cell.source + "\n" + wrappers
    return nb


@pytest.fixture(scope="module")
def processes():
    processes = StudentProcesses(Limits(timeout=60))
    yield processes
    processes.close()


@pytest.mark.parametrize("source", EXERCISES, ids=[path.stem for path in EXERCISES])
def test_zeroing_the_inputs_in_place_gains_nothing_on_any_exercise(source, processes, tmp_path):
    assignment = load_assignment(source)
    nb = nbformat.read(source, as_version=4)
    graded = {}
    for copy in (True, False):
        path = tmp_path / f"{copy}" / source.name
        path.parent.mkdir()
        nbformat.write(_zeroing(nb, copy), path)
        grade = grade_notebook(assignment, path, Limits(timeout=60), processes)
        graded[copy] = [(q.question, q.points) for q in grade.questions]
    assert graded[False] == graded[True]  # in place earns exactly what zeroed copies earn
    assert sum(points for _, points in graded[False]) < assignment.max_points


def test_zeroing_in_place_did_earn_points_when_every_change_was_copied_back(processes, tmp_path, monkeypatch):
    source = next(path for path in EXERCISES if path.stem == "rnn_step")
    assignment = load_assignment(source)
    path = tmp_path / source.name
    nbformat.write(_zeroing(nbformat.read(source, as_version=4), copy=False), path)
    honest = grade_notebook(assignment, path, Limits(timeout=60), processes)
    original = remote.StudentSession.remote_name
    monkeypatch.setattr(remote.StudentSession, "remote_name",
                        lambda self, name, in_place=False: original(self, name, in_place=True))
    mirrored = grade_notebook(assignment, path, Limits(timeout=60), processes)
    assert mirrored.points > honest.points  # the hole this closes


# Time ---------------------------------------------------------------------------------------------


def _sleepy_source(questions: int, sleep: float):
    """A source with ``questions`` answers that each sleep ``sleep`` s in their cell and hang when called."""
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [new_code_cell("import time", metadata=build._meta("setup"))]
    for q in range(questions):
        cells.append(new_code_cell(f"time.sleep({sleep})\ndef f{q}():\n    ### BEGIN SOLUTION\n    while True:\n"
                                   "        pass\n    ### END SOLUTION\n",
                                   metadata=build._meta(f"q{q}", solution=True, locked=False)))
        cells.append(new_code_cell(f"f{q}()", metadata=build._meta(f"q{q}_test", grade=True, points=1)))
    return new_notebook(cells=cells)


def test_sleeping_under_the_limit_and_replays_cannot_exceed_the_notebooks_budget(tmp_path):
    build.write(_sleepy_source(10, 0.9), tmp_path / "source" / "quiz.ipynb")
    build.write(_sleepy_source(10, 0.9), tmp_path / "submissions" / "sloth" / "quiz.ipynb")
    limits = Limits(timeout=1, notebook_timeout=6, submission_timeout=60)
    started = time.monotonic()
    grade_class(tmp_path / "submissions", tmp_path / "source", tmp_path / "out", limits=limits, progress=None)
    elapsed = time.monotonic() - started
    # Without the budget: 10 cells of 0.9 s, 10 hangs of 1 s, and 45 replayed cells of 0.9 s: about 60 s.
    assert elapsed < 6 + 10, elapsed
    with (tmp_path / "out" / "grades.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert all(row["points"] == "0" for row in rows)
    assert "time budget of the notebook" in rows[-1]["feedback"]


def test_a_submissions_notebooks_share_its_budget(tmp_path):
    for name in ("a_quiz", "b_quiz"):
        build.write(_sleepy_source(2, 0.1), tmp_path / "source" / f"{name}.ipynb")
        build.write(_sleepy_source(2, 0.1), tmp_path / "submissions" / "sloth" / f"{name}.ipynb")
    limits = Limits(timeout=1, notebook_timeout=10, submission_timeout=2)
    grade_class(tmp_path / "submissions", tmp_path / "source", tmp_path / "out", limits=limits, progress=None)
    with (tmp_path / "out" / "grades.csv").open() as file:
        rows = {(row["notebook"], row["question"]): row for row in csv.DictReader(file)}
    assert "used up before this one" in rows[("b_quiz.ipynb", "q0_test")]["feedback"]


# The grader refuses to run without the sandbox, unless told ---------------------------------------


def test_grade_refuses_without_the_sandbox_and_records_no_sandbox(tmp_path, monkeypatch, capsys):
    from lstm_course.grading import sandbox

    nb = build.source_notebook(tmp_path / "grader.log")
    build.write(nb, tmp_path / "source" / "quiz.ipynb")
    build.write(nb, tmp_path / "submissions" / "ada" / "quiz.ipynb")
    args = ["grade", str(tmp_path / "submissions"), "--source", str(tmp_path / "source"), "--out",
            str(tmp_path / "out"), "--timeout", "5"]
    sandbox.problem.cache_clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        assert main(args) == 1
        assert "bubblewrap" in capsys.readouterr().err
        assert main([*args, "--no-sandbox"]) == 0
    finally:
        sandbox.problem.cache_clear()
    assert "WITHOUT the sandbox" in capsys.readouterr().out
    with (tmp_path / "out" / "grades.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {row["sandbox"] for row in rows} == {"none"} and sum(float(row["points"]) for row in rows) == 6
