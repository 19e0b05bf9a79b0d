"""Tools for the exercise notebooks: release the student versions, self-check a notebook, grade a class.

``release``, ``release_notebook``, ``ReleaseError``          release.py
``check_notebook``, ``format_report``, ``QuestionResult``,
``execute_notebook``, ``collect_results``, ``CheckError``    check.py
``grade_class``, ``GradeError``                              grade.py (the class: CSV, feedback, resuming)
``grade_notebook``, ``StudentProcesses``                     judge.py (one notebook)
``Limits``, the grades, every default                        results.py
what the grader reads of a source and a submission           assignment.py
the sandbox around a student process                         sandbox.py
the student process: its side, the wire, the grader's side   child.py, wire.py, remote.py
the feedback page                                            feedback.py
the checks the exercises' test cells call                    checks.py
``main`` (``python -m lstm_course.grading``)                 cli.py

An instructor writes the student versions of the source notebooks with::

    release([Path("exercises/rnn_step.ipynb")], Path("release"))

and a student checks their work with::

    print(format_report(check_notebook(Path("rnn_step.ipynb"))))

or, from a shell, ``python -m lstm_course.grading check rnn_step.ipynb``. An
instructor grades a class with ``lstm-course grade SUBMISSIONS --source
exercises --out grades``.
"""

from .check import CheckError, QuestionResult, check_notebook, collect_results, execute_notebook, format_report
from .grade import GradeError, grade_class
from .judge import grade_notebook
from .release import ReleaseError, release, release_notebook
from .results import Limits

__all__ = ["CheckError", "GradeError", "Limits", "QuestionResult", "ReleaseError", "check_notebook",
           "collect_results", "execute_notebook", "format_report", "grade_class", "grade_notebook", "release",
           "release_notebook"]
