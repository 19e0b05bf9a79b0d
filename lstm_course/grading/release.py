"""Student versions of the exercise notebooks.

The source notebooks in ``exercises/`` hold the solutions between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION`` of their answer cells, and may
hold instructor-only tests between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` in their test cells. Releasing a notebook

- replaces each solution region, markers included, by ``# YOUR CODE HERE``
  and ``raise NotImplementedError()`` at the indentation of its BEGIN line;
  the rest of the cell (the ``def`` line, the docstring) stays;
- replaces an answer cell without markers entirely by those two lines, as
  nbgrader does, so that a forgotten marker cannot leak a solution;
- removes each hidden-test region, markers included;
- clears outputs and execution counts;
- keeps the notebook's and every cell's metadata, the nbgrader metadata
  (``grade_id``, ``points``, ...) included, which the grader uses to match
  a submission's questions with the source's.

The output is deterministic: the same source gives a byte-identical file.

A notebook that cannot be released safely raises ``ReleaseError`` with the
cell index and ``grade_id`` at fault: a marker without its partner, a region
opened inside another, a marker in a cell of the wrong kind or not on a line
of its own, a duplicate or missing ``grade_id``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

__all__ = ["ReleaseError", "release", "release_notebook"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


class ReleaseError(ValueError):
    """A source notebook that cannot be turned into a student version."""


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _where(index: int, cell) -> str:
    grade_id = _nbgrader(cell).get("grade_id")
    return f"cell {index}" + (f" (grade_id {grade_id!r})" if grade_id else "")


def _replace_regions(source: str, begin: str, end: str, stub: bool, where: str) -> str:
    """Drop every ``begin``..``end`` region of ``source``, putting the stub in its place if ``stub``."""
    lines, opened_at = [], None
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == begin:
            if opened_at is not None:
                raise ReleaseError(f"{where}: {begin!r} on line {number} inside the region opened on line {opened_at}")
            opened_at = number
            if stub:
                indent = line[: len(line) - len(line.lstrip())]
                lines += [indent + text for text in STUB]
        elif marker == end:
            if opened_at is None:
                raise ReleaseError(f"{where}: {end!r} on line {number} without a {begin!r} before it")
            opened_at = None
        elif opened_at is None:
            lines.append(line)
    if opened_at is not None:
        raise ReleaseError(f"{where}: {begin!r} on line {opened_at} is never closed by {end!r}")
    return "\n".join(lines)


def _check_markers(index: int, cell) -> None:
    """Refuse markers that would be left in the student version: in a cell of the wrong kind, or amid code."""
    meta = _nbgrader(cell)
    solution_ok = cell.cell_type == "code" and meta.get("solution", False)
    hidden_ok = cell.cell_type == "code" and meta.get("grade", False)
    for markers, allowed, kind in [
        ((BEGIN_SOLUTION, END_SOLUTION), solution_ok, "a code cell with nbgrader solution: true"),
        ((BEGIN_HIDDEN, END_HIDDEN), hidden_ok, "a code cell with nbgrader grade: true"),
    ]:
        found = [marker for marker in markers if marker in cell.source]
        if found and not allowed:
            raise ReleaseError(f"{_where(index, cell)}: {found[0]!r} found, but markers are only allowed in {kind}")
    # A marker after code on the same line would not be recognised, and would leak what follows it.
    for number, line in enumerate(cell.source.split("\n"), start=1):
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            if marker in line and line.strip() != marker:
                raise ReleaseError(f"{_where(index, cell)}: {marker!r} on line {number} must stand on a line of its own")


def _check_grade_ids(nb) -> None:
    """Every answer and test cell needs a grade_id of its own: the grader matches questions by it."""
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        if not grade_id and (meta.get("solution") or meta.get("grade")):
            raise ReleaseError(f"cell {index}: a solution or grade cell without a grade_id")
        if grade_id in seen:
            raise ReleaseError(f"cell {index}: grade_id {grade_id!r} is already used by cell {seen[grade_id]}")
        if grade_id:
            seen[grade_id] = index


def release_notebook(source_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student version of ``source_nb``; ``source_nb`` itself is left unchanged.

    Raises:
        ReleaseError: the notebook's markers or grading metadata are malformed.
    """
    _check_grade_ids(source_nb)
    student = copy.deepcopy(source_nb)
    for index, cell in enumerate(student.cells):
        _check_markers(index, cell)
        meta, where = _nbgrader(cell), _where(index, cell)
        if cell.cell_type == "code" and meta.get("solution"):
            if BEGIN_SOLUTION in cell.source or END_SOLUTION in cell.source:
                cell.source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, True, where)
            else:
                cell.source = "\n".join(STUB)
        if cell.cell_type == "code" and meta.get("grade"):
            cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, False, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return student


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # missing file, or not a notebook (NotJSONError is a ValueError)
        raise ReleaseError(f"cannot read {path}: {error}") from None


def release(sources: list[Path], out_dir: Path, *, keep_existing: bool = False) -> list[Path]:
    """Write the student version of each source notebook into ``out_dir``, under the same file name.

    Every source is read and released before anything is written, so a
    malformed source leaves ``out_dir`` untouched. With ``keep_existing``, a
    file (or link) already at a notebook's path is left as it is: a student's
    working folder gets the exercises it lacks and keeps the work in the others.

    Returns:
        The paths written, in the order of ``sources`` (without those kept).

    Raises:
        ReleaseError: a source is unreadable or malformed (the message names
            the file), two sources share a file name, or an output path is a
            source.
    """
    out_dir = Path(out_dir)
    targets: dict[Path, Path] = {}
    students = []
    for source in map(Path, sources):
        target = out_dir / source.name
        if target.resolve() == source.resolve():
            raise ReleaseError(f"the student version of {source} would overwrite the source: choose another --out")
        if target.resolve() in targets:
            raise ReleaseError(f"{source} and {targets[target.resolve()]} would both be written to {target}")
        targets[target.resolve()] = source
        source_nb = _read(source)
        try:
            students.append((target, release_notebook(source_nb)))
        except ReleaseError as error:
            raise ReleaseError(f"{source}: {error}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for target, student in students:
        if keep_existing and (target.exists() or target.is_symlink()):
            continue
        nbformat.write(student, target)  # nbformat writes sorted keys and a fixed indent: stable bytes
        written.append(target)
    return written
