"""The grader run by an ordinary user, as an instructor runs it on their own machine.

The sandbox then rests on unprivileged user namespaces, not on root's rights.
When the tests run as root (as on CI), the grader is started as the user
``nobody`` (uid 65534) with ``setpriv``; a folder on the way to the Python
installation that ``nobody`` may not enter (``/root``, where pyenv keeps
Python) is shown to it, in a mount namespace of the test's own, as an open
folder holding only that installation.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import lstm_course

from . import class_builder as build

NOBODY = 65534


def _closed_ancestors(paths: list) -> dict:
    """{topmost folder that others may not enter: [needed paths under it]}."""
    closed: dict = {}
    for path in paths:
        for ancestor in reversed(Path(path).parents):
            if not os.stat(ancestor).st_mode & 0o001:
                closed.setdefault(ancestor, []).append(Path(path))
                break
    return closed


def _as_nobody(argv: list, needed: list, stash: Path) -> list:
    """A command that runs ``argv`` as ``nobody``, with every path in ``needed`` reachable to it."""
    script = ["set -e"]
    for index, (folder, inside) in enumerate(_closed_ancestors(needed).items()):
        script += [f"mkdir -p {stash}/{index}", f"mount --bind {folder} {stash}/{index}",
                   f"mount -t tmpfs -o mode=755 tmpfs {folder}"]
        for path in inside:
            relative = path.relative_to(folder)
            script += [f"mkdir -p {folder}/{relative}", f"mount --bind {stash}/{index}/{relative} {folder}/{relative}"]
    environment = f"env -i PATH={os.environ.get('PATH', '/usr/bin:/bin')} HOME=/tmp LANG=C.UTF-8"
    script.append(f"exec setpriv --reuid {NOBODY} --regid {NOBODY} --clear-groups {environment} "
                  + " ".join(f"'{arg}'" for arg in argv))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script)]


def test_an_unprivileged_user_grades_a_class_in_the_sandbox():
    folder = Path(tempfile.mkdtemp(prefix="lstm-course-unprivileged-"))
    try:
        os.chmod(folder, 0o755)
        nb = build.source_notebook(folder / "out" / "grader.log")
        build.write(nb, folder / "source" / "quiz.ipynb")
        build.write(nb, folder / "submissions" / "ada" / "quiz.ipynb")
        build.write(build.with_answers(nb, q1_double="import os\nos.fork()"), folder / "submissions" / "eve" / "quiz.ipynb")
        (folder / "out").mkdir()
        argv = [sys.executable, "-m", "lstm_course.grading", "grade", str(folder / "submissions"), "--source",
                str(folder / "source"), "--out", str(folder / "out"), "--timeout", "10"]
        if os.geteuid() == 0:
            os.chown(folder / "out", NOBODY, NOBODY)
            package_root = Path(lstm_course.__file__).resolve().parents[1]
            needed = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, package_root)})
            argv = _as_nobody(argv, needed, folder / "stash")
        result = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "in the sandbox" in result.stdout
        with (folder / "out" / "grades.csv").open() as file:
            rows = list(csv.DictReader(file))
        points = {(row["student"], row["question"]): float(row["points"]) for row in rows}
        assert {question: points["ada", question] for question in build.POINTS} == build.POINTS
        assert points["eve", "q1_double_test"] == 0
        assert {row["sandbox"] for row in rows} == {"bubblewrap"}
        owners = {path.stat().st_uid for path in (folder / "out").rglob("*")}
        assert owners == ({NOBODY} if os.geteuid() == 0 else {os.geteuid()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
