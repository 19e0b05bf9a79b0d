"""Self-check of an exercise notebook: run it and score each graded test cell.

A student runs this on their own notebook to see the score it would get. The
notebook is executed top to bottom in a fresh ``python3`` kernel, in the
notebook's own folder, with a time limit per cell. Execution goes on after a
cell fails, and a cell that runs past its limit is interrupted and scored
zero without stopping the rest. A graded test cell (nbgrader ``grade: true``)
earns its points when it raises no error; output on stderr, such as a
warning, does not cost points.

Like the test cells themselves, this runs the checks in the kernel that ran
the student's code: it gives feedback, it is not a tamper-proof grade.

>>> report = format_report([QuestionResult("q1_test", 2, True, ""),
...                         QuestionResult("q2_test", 3, False, "AssertionError: dx is wrong")])
>>> print(report)
question  points  status  feedback
--------  ------  ------  ---------------------------
q1_test   2/2     passed
q2_test   0/3     failed  AssertionError: dx is wrong
--------  ------  ------  ---------------------------
total     2/5             1 of 2 questions passed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .results import CELL_TIMEOUT as DEFAULT_TIMEOUT
from .results import CHECK_FEEDBACK_LIMIT as FEEDBACK_LIMIT

__all__ = ["CheckError", "QuestionResult", "check_notebook", "collect_results", "execute_notebook",
           "format_report"]

KERNEL_STARTUP_TIMEOUT = 180  # seconds
_TIMEOUT_ERROR = "CellTimeout"  # the ename given to a cell interrupted at its time limit


class CheckError(RuntimeError):
    """A notebook that could not be read or run to the end."""


@dataclass(frozen=True)
class QuestionResult:
    """The outcome of one graded test cell."""

    grade_id: str  # nbgrader grade_id of the test cell
    points: float  # the most the cell can earn
    passed: bool  # the cell ran without an error
    feedback: str  # "<error name>: <message>", trimmed to FEEDBACK_LIMIT; empty when passed

    @property
    def earned(self) -> float:
        return self.points if self.passed else 0


def execute_notebook(nb: nbformat.NotebookNode, *, cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> nbformat.NotebookNode:
    """Execute ``nb`` in place in a fresh ``python3`` kernel started in ``cwd``, and return it.

    Raises:
        CheckError: the kernel could not start or died during the run.
    """
    timeout_error = {"ename": _TIMEOUT_ERROR, "evalue": f"the cell ran longer than {timeout:g} s and was stopped"}

    def on_cell_executed(cell, cell_index, execute_reply) -> None:
        # The interrupt leaves a KeyboardInterrupt in the outputs; say what really happened instead.
        if execute_reply["content"].get("ename") == _TIMEOUT_ERROR:
            kept = [out for out in cell.outputs if out.output_type != "error"]
            cell.outputs = kept + [nbformat.v4.new_output("error", traceback=[], **timeout_error)]

    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=True,
        # Interrupt a cell at its limit and go on, so one endless loop costs one question, not the notebook.
        interrupt_on_timeout=True,
        error_on_timeout=timeout_error,
        on_cell_executed=on_cell_executed,
        record_timing=False,
        # A kernel on a busy 2-core machine can take longer than nbclient's 60 s default to start.
        startup_timeout=KERNEL_STARTUP_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        client.execute()
    except DeadKernelError as error:
        raise CheckError(f"the kernel died while running the notebook: {error}") from None
    except RuntimeError as error:  # e.g. the kernel did not start in time
        raise CheckError(f"cannot run the notebook: {error}") from None
    return nb


def _trim(text: str) -> str:
    text = " ".join(text.split())  # one line, for a table
    return text if len(text) <= FEEDBACK_LIMIT else text[: FEEDBACK_LIMIT - 3] + "..."


def _feedback(cell) -> str:
    errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
    if not errors:
        return ""
    error = errors[0]
    return _trim(f"{error.ename}: {error.evalue}" if error.evalue else error.ename)


def collect_results(nb: nbformat.NotebookNode) -> list[QuestionResult]:
    """One result per graded test cell of an executed notebook, in notebook order."""
    results = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            feedback = _feedback(cell)
            results.append(QuestionResult(meta["grade_id"], meta.get("points", 0), not feedback, feedback))
    return results


def check_notebook(path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> list[QuestionResult]:
    """Run the notebook at ``path`` and score its graded test cells.

    Raises:
        CheckError: the file is not a readable notebook, or it could not be run.
    """
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # missing file, or not a notebook (NotJSONError is a ValueError)
        raise CheckError(f"cannot read {path}: {error}") from None
    return collect_results(execute_notebook(nb, cwd=path.resolve().parent, timeout=timeout))


def format_report(results: list[QuestionResult]) -> str:
    """A table of the results, one row per question, and a total line."""
    if not results:
        return "no graded questions found (no cell with nbgrader grade: true)"
    rows = [(r.grade_id, f"{r.earned:g}/{r.points:g}", "passed" if r.passed else "failed", r.feedback) for r in results]
    passed = sum(r.passed for r in results)
    total = ("total", f"{sum(r.earned for r in results):g}/{sum(r.points for r in results):g}", "",
             f"{passed} of {len(results)} questions passed")
    header = ("question", "points", "status", "feedback")
    widths = [max(len(row[i]) for row in [header, *rows, total]) for i in range(4)]
    rule = tuple("-" * width for width in widths)

    def line(row) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    return "\n".join(line(row) for row in [header, rule, *rows, rule, total])
