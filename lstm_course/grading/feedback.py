"""The per-student feedback page of one graded notebook: a small, self-contained HTML file.

>>> from lstm_course.grading.results import NotebookGrade, QuestionGrade
>>> page = feedback_html("ada", NotebookGrade("rnn_step.ipynb", (
...     QuestionGrade("q1_test", 2, 2, "passed", ""),
...     QuestionGrade("q2_test", 0, 3, "failed", "AssertionError: dx <wrong>"))))
>>> "<td>0/3</td>" in page and "dx &lt;wrong&gt;" in page
True
"""

from __future__ import annotations

import html

from .results import NotebookGrade

__all__ = ["feedback_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.9em; }
.passed { color: #1a7f37; } .failed, .not-submitted { color: #b42318; }
"""


def _points(value: float) -> str:
    return f"{value:g}"


def feedback_html(student: str, grade: NotebookGrade) -> str:
    """The feedback page for ``student``'s ``grade``: total, one row per question, and notes."""
    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{esc(q.question)}</td><td>{_points(q.points)}/{_points(q.max_points)}</td>"
        f"<td class=\"{esc(q.status.replace(' ', '-'))}\">{esc(q.status)}</td><td><pre>{esc(q.feedback)}</pre></td></tr>"
        for q in grade.questions)
    notes = "".join(f"<li>{esc(note)}</li>" for note in grade.notes)
    title = f"{grade.notebook}: {_points(grade.points)}/{_points(grade.max_points)} points"
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{esc(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{esc(grade.notebook)}</h1>
<p>Feedback for <strong>{esc(student)}</strong>: <strong>{_points(grade.points)} of {_points(grade.max_points)}
points</strong>.</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table>
<tr><th>question</th><th>points</th><th>status</th><th>feedback</th></tr>
{rows}
</table>
</body>
</html>
"""
