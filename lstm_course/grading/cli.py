"""Command line of the exercise tools: ``lstm-course`` (or ``python -m lstm_course.grading``).

    lstm-course release SOURCE... --out DIR     write the student versions of source notebooks
                                                (--keep-existing: never replace one already there)
    lstm-course check NOTEBOOK [--timeout S]    run a notebook and print its score per question
    lstm-course grade SUBMISSIONS --source DIR --out DIR [-j N] [--timeout S] [--notebook-timeout S]
                      [--submission-timeout S] [--memory-mb M] [--force] [--no-sandbox]
                                                grade a class's notebooks; write grades.csv and feedback

Each subcommand only parses its arguments and calls a function of
``release.py``, ``check.py`` or ``grade.py`` (``grade_class``), which tests
and notebooks can call directly. ``check`` exits with 0 whenever the notebook
ran, whatever its score, and ``grade`` whenever every submission got a grade,
however bad; any command exits with 1 and a message on stderr when a file
cannot be read, released or run, or when the grader itself failed on a
notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import results
from .check import CheckError, check_notebook, format_report
from .grade import GradeError, grade_class
from .release import ReleaseError, release
from .results import Limits

__all__ = ["main"]


def _release(args: argparse.Namespace) -> None:
    written = release(sources=args.sources, out_dir=args.out, keep_existing=args.keep_existing)
    for source in args.sources:
        path = args.out / source.name
        print(f"wrote {path}" if path in written else f"kept {path}: it is already there")


def _check(args: argparse.Namespace) -> None:
    print(format_report(check_notebook(args.notebook, timeout=args.timeout)))


def _grade(args: argparse.Namespace) -> None:
    limits = Limits(timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                    submission_timeout=args.submission_timeout, memory_mb=args.memory_mb, sandbox=not args.no_sandbox)
    report = grade_class(args.submissions, args.source, args.out, jobs=args.jobs, limits=limits, force=args.force)
    how = "in the sandbox" if report.sandboxed else "WITHOUT the sandbox (--no-sandbox: recorded in grades.csv)"
    print(f"graded {report.graded} students {how}, {report.skipped} already graded (--force grades them again); "
          f"wrote {report.csv_path} and {report.csv_path.parent / 'feedback'}")
    if report.failed:
        raise GradeError(f"the grader failed on {report.failed} notebooks: see the feedback column of {report.csv_path}")


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstm-course", description="Tools for the course's exercise notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)

    release_cmd = commands.add_parser("release", help="write the student versions of source notebooks")
    release_cmd.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="source notebook with solutions")
    release_cmd.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the student versions")
    release_cmd.add_argument("--keep-existing", action="store_true",
                             help="leave a notebook already in DIR as it is (a student's work), write only the others")
    release_cmd.set_defaults(run=_release)

    check_cmd = commands.add_parser("check", help="run a notebook and print its score per question")
    check_cmd.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    check_cmd.add_argument("--timeout", type=_positive(float), default=results.CELL_TIMEOUT, metavar="S",
                           help=f"time limit per cell in seconds (default {results.CELL_TIMEOUT:g})")
    check_cmd.set_defaults(run=_check)

    grade_cmd = commands.add_parser("grade", help="grade a class's notebooks: grades.csv and feedback pages")
    grade_cmd.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                           help="folder of SUBMISSIONS/<student>/<notebook>.ipynb")
    grade_cmd.add_argument("--source", required=True, type=Path, metavar="DIR",
                           help="folder of the source notebooks, with solutions and hidden tests")
    grade_cmd.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for grades and feedback")
    grade_cmd.add_argument("-j", "--jobs", type=_positive(int), default=1, metavar="N",
                           help="students graded at once (default 1)")
    grade_cmd.add_argument("--timeout", type=_positive(float), default=results.CELL_TIMEOUT, metavar="S",
                           help=f"time limit per cell in seconds (default {results.CELL_TIMEOUT:g})")
    grade_cmd.add_argument("--notebook-timeout", type=_positive(float), default=results.NOTEBOOK_TIMEOUT, metavar="S",
                           help="time for all of a notebook's cells, restarts included "
                                f"(default {results.NOTEBOOK_TIMEOUT:g})")
    grade_cmd.add_argument("--submission-timeout", type=_positive(float), default=results.SUBMISSION_TIMEOUT,
                           metavar="S", help="time for all of one student's notebooks "
                                             f"(default {results.SUBMISSION_TIMEOUT:g})")
    grade_cmd.add_argument("--memory-mb", type=_positive(int), default=results.MEMORY_MB, metavar="M",
                           help=f"memory a student's code may use, in MB (default {results.MEMORY_MB})")
    grade_cmd.add_argument("--force", action="store_true", help="grade again students already graded")
    grade_cmd.add_argument("--no-sandbox", action="store_true",
                           help="run students' code without the bubblewrap sandbox (only where it cannot run; "
                                "recorded in grades.csv)")
    grade_cmd.set_defaults(run=_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (ReleaseError, CheckError, GradeError) as error:
        print(f"lstm-course {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0
