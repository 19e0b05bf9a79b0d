"""Tools for the exercise notebooks: release the student versions, self-check a notebook.

``release``, ``release_notebook``, ``ReleaseError``          release.py
``check_notebook``, ``format_report``, ``QuestionResult``,
``execute_notebook``, ``collect_results``, ``CheckError``    check.py
``main`` (``python -m lstm_course.grading``)                 cli.py

An instructor writes the student versions of the source notebooks with::

    release([Path("exercises/rnn_step.ipynb")], Path("release"))

and a student checks their work with::

    print(format_report(check_notebook(Path("rnn_step.ipynb"))))

or, from a shell, ``python -m lstm_course.grading check rnn_step.ipynb``.
"""

from .check import CheckError, QuestionResult, check_notebook, collect_results, execute_notebook, format_report
from .release import ReleaseError, release, release_notebook

__all__ = ["CheckError", "QuestionResult", "ReleaseError", "check_notebook", "collect_results",
           "execute_notebook", "format_report", "release", "release_notebook"]
