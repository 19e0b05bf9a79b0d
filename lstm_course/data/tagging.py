"""Sentences with the names and dates in them marked: a sequence-tagging task built from real data.

``tagged_sentences(count, seed=...)`` fills sentence templates with surnames
from ``load_surnames`` (ten languages) and dates from ``human_dates`` (seven
languages, nine formats), and labels every character with a BIO tag
(Ramshaw & Marcus 1995): ``B-NAME`` on a name's first character, ``I-NAME``
on the rest, likewise ``B-DATE``/``I-DATE``, and ``O`` outside. The templates
put words that look like entities where they are not ("In May", "Monday is
fine", "Room 12"), so a tagger has to read the context, not only the
characters. Tagging characters rather than words keeps the vocabulary small
and lets the model tag names it has never seen, which ``names=`` makes
measurable: train on one set of surnames and test on another.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .dates import human_dates
from .names import load_surnames

__all__ = ["TAGS", "TEMPLATES", "TaggedSentence", "spans", "tagged_sentences", "tags_from_spans"]

TAGS = ("O", "B-NAME", "I-NAME", "B-DATE", "I-DATE")
# {name} and {date} are entities; every other word, however much it looks like one, is outside (O).
TEMPLATES = (
    "{name} was born on {date}.",
    "On {date}, {name} signed the lease in Porto.",
    "The meeting with {name} moved from {date} to {date}.",
    "{name} and {name} met in May, and again on {date}.",
    "Report filed by {name} ({date}).",
    "Monday is fine, says {name}.",
    "Room 12 is booked for {name} until {date}.",
    "Letter from Dr {name}, dated {date}.",
    "{date}: {name} wins the final in Rome.",
    "Call {name} before the end of March.",
    "Invoice 4417 of {date} is unpaid.",
    "{name} wrote to {name} on {date}.",
)


class TaggedSentence(NamedTuple):
    text: str
    tags: tuple  # one tag of TAGS per character of text


def tagged_sentences(count: int, *, seed: int = 0, names: Sequence[str] = None) -> list:
    """``count`` sentences drawn from ``TEMPLATES``, with a tag for every character.

    Args:
        count: how many sentences.
        seed: the seed of the draws (templates, names, dates).
        names: the surnames to draw from; all of ``load_surnames()`` by default.

    >>> s = tagged_sentences(1, seed=7, names=["Novak"])[0]
    >>> s.text
    'Novak wrote to Novak on 14 mai 1993.'
    >>> "".join("N" if t.endswith("NAME") else "D" if t.endswith("DATE") else "." for t in s.tags)
    'NNNNN..........NNNNN....DDDDDDDDDDD.'
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    names = list(load_surnames().names if names is None else names)
    if not names or not all(isinstance(name, str) and name.strip() == name and name for name in names):
        raise ValueError("names must be a non-empty list of non-empty strings without surrounding spaces")
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, len(TEMPLATES), size=count)
    dates = iter(human_dates(2 * count, seed=int(rng.integers(2**31))))
    sentences = []
    for template in templates:
        text, tags = "", []
        for i, part in enumerate(TEMPLATES[template].replace("}", "{").split("{")):
            if i % 2 == 0:  # literal text between the fields
                text, tags = text + part, tags + ["O"] * len(part)
                continue
            entity = names[int(rng.integers(len(names)))] if part == "name" else next(dates).text
            tags += tags_from_spans(len(entity), [(part.upper(), 0, len(entity))])
            text += entity
        sentences.append(TaggedSentence(text, tuple(tags)))
    return sentences


def tags_from_spans(length: int, entities) -> list:
    """The BIO tags of ``length`` positions holding the spans ``entities``, each ``(kind, start, end)``.

    >>> tags_from_spans(5, [("NAME", 0, 2), ("DATE", 3, 5)])
    ['B-NAME', 'I-NAME', 'O', 'B-DATE', 'I-DATE']
    """
    tags = ["O"] * length
    for kind, start, end in entities:
        if not 0 <= start < end <= length or any(tag != "O" for tag in tags[start:end]):
            raise ValueError(f"span {(kind, start, end)} is empty, outside 0..{length} or overlaps another")
        tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
    return tags


def spans(tags: Sequence[str]) -> set:
    """The entities of a BIO tag sequence, as ``(kind, start, end)`` with ``end`` exclusive.

    A span starts at ``B-X`` and runs over the ``I-X`` that follow. An ``I-X`` with no span of the same
    kind open starts one, as the CoNLL evaluation script reads it.

    >>> sorted(spans(["B-NAME", "I-NAME", "O", "I-DATE", "I-DATE", "B-DATE"]))
    [('DATE', 3, 5), ('DATE', 5, 6), ('NAME', 0, 2)]
    """
    found, kind, start = set(), None, 0
    for position, tag in enumerate(list(tags) + ["O"]):
        prefix, _, tag_kind = tag.partition("-")
        continues = prefix == "I" and tag_kind == kind
        if kind is not None and not continues:
            found.add((kind, start, position))
            kind = None
        if prefix == "B" or (prefix == "I" and not continues):
            kind, start = tag_kind, position
    return found
