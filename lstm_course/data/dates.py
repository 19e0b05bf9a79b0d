"""Dates written as people write them, in several languages, and their ISO form: a translation task.

``human_dates(count, seed=...)`` draws dates between 1950 and 2049 and writes
each in a language and a format drawn at random, with the Unicode CLDR's
month and weekday names and date patterns (through Babel): "the 29th of
August 1958" becomes "29 août 1958", "Freitag, 29. August 1958" or
"8/29/58", and the target is always "1958-08-29". A numeric date without its
language can be ambiguous ("1/6/64" is 6 January in the US and 1 June in
Spain): such pairs are few, and they bound the exact-match accuracy below 100%. It is the classic
date-translation exercise (human-readable date to machine-readable date with
a Bi-LSTM and attention), with data generated offline instead of by Faker
and downloaded helper files, in more than one language.

Hold out formats or languages (``formats=``, ``languages=``) to measure how
a model generalises to ways of writing it has never seen.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

import numpy as np
from babel.dates import format_date

__all__ = ["FORMATS", "LANGUAGES", "HumanDate", "human_dates"]

LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")
# CLDR's four standard lengths, and patterns of our own (letters as in Unicode TR35: d day, M month, y year,
# E weekday; MMMM the month's name, MMM its abbreviation).
FORMATS = ("full", "long", "medium", "short", "d MMMM y", "d MMM y", "EEEE d MMMM y", "dd.MM.y", "d/M/y")
FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)


class HumanDate(NamedTuple):
    text: str  # as a person writes it
    iso: str  # YYYY-MM-DD
    language: str
    format: str


def human_dates(count: int, *, seed: int = 0, languages=LANGUAGES, formats=FORMATS) -> list:
    """``count`` dates drawn uniformly from 1950-2049, each written in a random language and format.

    >>> [(d.text, d.iso) for d in human_dates(2, seed=3, languages=("fr",), formats=("long",))]
    [('25 février 2031', '2031-02-25'), ('26 juillet 1958', '1958-07-26')]
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    for name, chosen, known in (("languages", languages, LANGUAGES), ("formats", formats, FORMATS)):
        if not chosen or not set(chosen) <= set(known):
            raise ValueError(f"{name} must be a non-empty subset of {known}, got {chosen!r}")
    rng = np.random.default_rng(seed)
    days = rng.integers(0, (LAST - FIRST).days + 1, size=count)
    language_draws = rng.integers(0, len(languages), size=count)
    format_draws = rng.integers(0, len(formats), size=count)
    dates = []
    for day, language, form in zip(days, language_draws, format_draws):
        date = FIRST + datetime.timedelta(days=int(day))
        text = format_date(date, format=formats[form], locale=languages[language])
        dates.append(HumanDate(text, date.isoformat(), languages[language], formats[form]))
    return dates
