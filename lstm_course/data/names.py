"""Surnames and the language each comes from: a character-level classification task.

``load_surnames()`` gives 3,800 surnames from ten languages (up to 400 each,
from the person lists of the Faker package; ``files/SOURCES.md``), the task
of the PyTorch tutorial "Classifying names with a character-level RNN" with
data that ships instead of being downloaded. Some surnames are spelled the
same in two languages; they stay, as in real data, and cap the accuracy any
model can reach.
"""

from __future__ import annotations

from typing import NamedTuple

from .files import read_csv

__all__ = ["LANGUAGES", "Surnames", "load_surnames"]

LANGUAGES = ("Croatian", "Czech", "Dutch", "English", "Finnish", "French", "German", "Italian", "Spanish",
             "Swedish")


class Surnames(NamedTuple):
    names: list  # N strings
    labels: list  # N indices into languages
    languages: tuple  # the class names, sorted


def load_surnames() -> Surnames:
    """The surnames, in file order (grouped by language: shuffle before splitting).

    >>> data = load_surnames()
    >>> len(data.names), len(data.languages), data.languages[data.labels[0]]
    (3800, 10, 'English')
    """
    rows = read_csv("surnames.csv")
    index = {language: label for label, language in enumerate(LANGUAGES)}
    return Surnames([r["surname"] for r in rows], [index[r["language"]] for r in rows], LANGUAGES)
