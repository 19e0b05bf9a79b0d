"""Throughput of ``lstm-course grade`` against its floor, bare Jupyter kernel start-up.

Grades ``--copies`` copies of an answered exercise (the source notebook itself,
solutions in place) with ``-j 1`` and ``-j 2``, in the sandbox and with
``--no-sandbox``, and prints seconds per submission; then starts and stops a
bare ``python3`` Jupyter kernel ``--kernels`` times, the start-up that an
in-kernel grader pays per submission before running any cell.

    python benchmarks/grading.py [--notebook exercises/lstm_cell.ipynb] [--copies 50]
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from timing import cpu_name

from lstm_course.grading.grade import grade_class
from lstm_course.grading.results import Limits

ROOT = Path(__file__).resolve().parents[1]


def grading_seconds(notebook: Path, copies: int, jobs: int, sandbox: bool) -> float:
    """Wall seconds per submission to grade ``copies`` copies of ``notebook``."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "source").mkdir()
        shutil.copy(notebook, tmp / "source" / notebook.name)
        for index in range(copies):
            (tmp / "submissions" / f"student{index:03d}").mkdir(parents=True)
            shutil.copy(notebook, tmp / "submissions" / f"student{index:03d}" / notebook.name)
        start = time.perf_counter()
        report = grade_class(tmp / "submissions", tmp / "source", tmp / "out", jobs=jobs,
                             limits=Limits(sandbox=sandbox), progress=None)
        seconds = time.perf_counter() - start
        assert report.graded == copies and report.failed == 0
        rows = (tmp / "out" / "grades.csv").read_text().splitlines()[1:]
        assert all(",passed," in row for row in rows), "every copy of the solutions earns full marks"
    return seconds / copies


def kernel_start_seconds(repeats: int) -> float:
    """Median seconds to start a bare python3 kernel until it answers, then shut it down."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3")
        times.append(time.perf_counter() - start)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=ROOT / "exercises" / "lstm_cell.ipynb")
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--kernels", type=int, default=5)
    args = parser.parse_args()
    print(f"{cpu_name()}; {args.copies} copies of {args.notebook.name}")
    for sandbox in (True, False):
        for jobs in (1, 2):
            seconds = grading_seconds(args.notebook, args.copies, jobs, sandbox)
            flag = "" if sandbox else " --no-sandbox"
            print(f"lstm-course grade -j {jobs}{flag}: {seconds:.2f} s per submission")
    print(f"bare kernel start-up (median of {args.kernels}): {kernel_start_seconds(args.kernels):.2f} s")


if __name__ == "__main__":
    main()
