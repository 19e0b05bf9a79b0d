"""Command line of the exercise tools: ``lstm-course`` (or ``python -m lstm_course.grading``).

    lstm-course release SOURCE... --out DIR     write the student versions of source notebooks
    lstm-course check NOTEBOOK [--timeout S]    run a notebook and print its score per question

Each subcommand only parses its arguments and calls the function of the same
name in ``release.py`` or ``check.py``, which tests and notebooks can call
directly. ``check`` exits with 0 whenever the notebook ran, whatever its
score; any command exits with 1 and a message on stderr when a file cannot be
read, released or run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .check import DEFAULT_TIMEOUT, CheckError, check_notebook, format_report
from .release import ReleaseError, release

__all__ = ["main"]


def _release(args: argparse.Namespace) -> None:
    for path in release(sources=args.sources, out_dir=args.out):
        print(f"wrote {path}")


def _check(args: argparse.Namespace) -> None:
    print(format_report(check_notebook(args.notebook, timeout=args.timeout)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstm-course", description="Tools for the course's exercise notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)

    release_cmd = commands.add_parser("release", help="write the student versions of source notebooks")
    release_cmd.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="source notebook with solutions")
    release_cmd.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the student versions")
    release_cmd.set_defaults(run=_release)

    check_cmd = commands.add_parser("check", help="run a notebook and print its score per question")
    check_cmd.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    check_cmd.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                           help=f"time limit per cell in seconds (default {DEFAULT_TIMEOUT})")
    check_cmd.set_defaults(run=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (ReleaseError, CheckError) as error:
        print(f"lstm-course {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0
