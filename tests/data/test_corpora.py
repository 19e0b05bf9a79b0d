"""The character corpus, the surnames and the human-written dates."""

from __future__ import annotations

import collections
import datetime

import pytest
from babel.dates import format_date

from lstm_course.data import char_stream, dates, human_dates, load_surnames, python_docs_text


def test_the_python_docs_corpus_is_large_ascii_and_held_out_by_position():
    text = python_docs_text()
    assert len(text) > 300_000 and text.isascii()
    assert all(symbol in text for symbol in "\"'()[]{}\n    ")  # quotes, brackets and indentation
    streams = char_stream(text, val=0.05, test=0.05)
    assert len(streams.train) + len(streams.val) + len(streams.test) == len(text)
    tail = streams.vocabulary.decode(streams.test[:200])
    assert tail == text[len(text) - len(streams.test) :][:200]  # the test part is the end of the text


def test_surnames_cover_ten_languages():
    data = load_surnames()
    counts = collections.Counter(data.languages[label] for label in data.labels)
    assert len(counts) == 10 and max(counts.values()) == 400 and min(counts.values()) >= 200
    assert len(data.names) == sum(counts.values()) and all(name.strip() == name and name for name in data.names)


def test_human_dates_are_reproducible_varied_and_correct():
    sample = human_dates(500, seed=1)
    assert sample == human_dates(500, seed=1) and sample != human_dates(500, seed=2)
    assert {d.language for d in sample} == set(dates.LANGUAGES) and {d.format for d in sample} == set(dates.FORMATS)
    for d in sample:
        day = datetime.date.fromisoformat(d.iso)
        assert dates.FIRST <= day <= dates.LAST
        assert format_date(day, format=d.format, locale=d.language) == d.text
    assert "août" in " ".join(d.text for d in human_dates(300, seed=0, languages=("fr",), formats=("long",)))


def test_held_out_formats_and_languages_are_left_out():
    sample = human_dates(200, seed=3, languages=("de", "nl"), formats=("short", "d MMMM y"))
    assert {d.language for d in sample} == {"de", "nl"} and {d.format for d in sample} == {"short", "d MMMM y"}
    with pytest.raises(ValueError, match="subset"):
        human_dates(3, languages=("klingon",))
