"""Tests of lstm_course.grading.cli: the ``lstm-course`` command line and ``python -m lstm_course.grading``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lstm_course.grading.cli import main

NOTEBOOK = Path(__file__).resolve().parents[2] / "exercises" / "rnn_step.ipynb"


@pytest.fixture
def quiz(tmp_path) -> Path:
    """A notebook with one passing (1 point) and one failing (2 points) graded cell."""
    cells = [new_code_cell("assert True"), new_code_cell("assert 1 == 2, 'one is not two'")]
    for cell, (grade_id, points) in zip(cells, [("q1_test", 1), ("q2_test", 2)]):
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": True, "solution": False, "points": points,
                                     "locked": True, "schema_version": 3}
    path = tmp_path / "quiz.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_release_writes_the_student_versions(tmp_path, capsys):
    assert main(["release", str(NOTEBOOK), "--out", str(tmp_path / "out")]) == 0
    written = tmp_path / "out" / NOTEBOOK.name
    assert "### BEGIN SOLUTION" not in written.read_text(), "the written notebook still holds solutions"
    assert capsys.readouterr().out == f"wrote {written}\n"


def test_release_keep_existing_leaves_a_students_work_alone(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    work = out / NOTEBOOK.name
    work.write_text("my answers")
    other = tmp_path / "src" / "other.ipynb"
    other.parent.mkdir()
    other.write_bytes(NOTEBOOK.read_bytes())
    assert main(["release", str(NOTEBOOK), str(other), "--out", str(out), "--keep-existing"]) == 0
    assert work.read_text() == "my answers"
    assert "### BEGIN SOLUTION" not in (out / "other.ipynb").read_text()
    assert capsys.readouterr().out == f"kept {work}: it is already there\nwrote {out / 'other.ipynb'}\n"
    assert main(["release", str(NOTEBOOK), "--out", str(out)]) == 0  # without the option, it is replaced
    assert work.read_text() != "my answers"


def test_release_error_exits_non_zero_with_the_reason(capsys):
    assert main(["release", str(NOTEBOOK), "--out", str(NOTEBOOK.parent)]) == 1
    assert "would overwrite the source" in capsys.readouterr().err


def test_check_prints_the_table_and_exits_zero_whatever_the_score(quiz, capsys):
    assert main(["check", str(quiz)]) == 0
    out = capsys.readouterr().out
    assert "q1_test   1/1     passed" in out, out
    assert "q2_test   0/2     failed  AssertionError: one is not two" in out, out
    assert out.rstrip().split("\n")[-1].split() == ["total", "1/3", "1", "of", "2", "questions", "passed"], out


@pytest.mark.parametrize("content", [None, "{not json"])
def test_check_of_an_unreadable_notebook_exits_non_zero_with_a_message(tmp_path, capsys, content):
    path = tmp_path / "missing.ipynb"
    if content is not None:
        path.write_text(content)
    assert main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and f"lstm-course check: error: cannot read {path}" in captured.err, captured.err


def test_python_m_runs_the_check(quiz):
    done = subprocess.run([sys.executable, "-m", "lstm_course.grading", "check", str(quiz), "--timeout", "20"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "total     1/3" in done.stdout, done.stdout
