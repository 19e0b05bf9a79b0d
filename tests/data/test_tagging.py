"""The tagging data: a tag per character, spans where the fields were filled, and BIO read as CoNLL reads it."""

from __future__ import annotations

import pytest

from lstm_course.data import tagging


def test_every_character_has_a_tag_and_the_spans_are_the_filled_fields():
    names = ["Novak", "Lemonnier"]
    for sentence in tagging.tagged_sentences(200, seed=4, names=names):
        assert len(sentence.tags) == len(sentence.text) and set(sentence.tags) <= set(tagging.TAGS)
        found = tagging.spans(sentence.tags)
        assert {sentence.text[start:end] for kind, start, end in found if kind == "NAME"} <= set(names)
        for kind, start, end in found:  # a span is a whole field, never a piece of the template
            assert sentence.text[start:end] == sentence.text[start:end].strip()
        template_words = {word.strip(".,():") for t in tagging.TEMPLATES for word in t.split() if "{" not in word}
        outside = "".join(c if tag == "O" else " " for c, tag in zip(sentence.text, sentence.tags))
        assert {w.strip(".,():") for w in outside.split()} - {""} <= template_words


def test_the_draws_follow_the_seed_and_the_templates_include_decoys():
    assert tagging.tagged_sentences(20, seed=1) == tagging.tagged_sentences(20, seed=1)
    assert tagging.tagged_sentences(20, seed=1) != tagging.tagged_sentences(20, seed=2)
    decoys = [t for t in tagging.TEMPLATES if any(w in t for w in ("May", "Monday", "March"))]
    assert len(decoys) >= 3  # month and weekday names tagged O, so a tagger must read context


@pytest.mark.parametrize("tags,expected", [
    (["O", "O"], set()),
    (["B-NAME", "I-NAME", "B-NAME"], {("NAME", 0, 2), ("NAME", 2, 3)}),
    (["I-DATE", "I-DATE", "O"], {("DATE", 0, 2)}),  # I- with nothing open starts a span
    (["B-NAME", "I-DATE"], {("NAME", 0, 1), ("DATE", 1, 2)}),  # a change of kind closes the span
    (["B-DATE", "I-DATE"], {("DATE", 0, 2)}),  # a span that runs to the end
])
def test_spans(tags, expected):
    assert tagging.spans(tags) == expected


@pytest.mark.parametrize("kwargs,message", [({"count": -1}, "count"), ({"count": 2, "names": []}, "names"),
                                            ({"count": 2, "names": [" Novak"]}, "names")])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tagging.tagged_sentences(**kwargs)


def test_tags_from_spans_and_spans_are_inverse():
    for sentence in tagging.tagged_sentences(50, seed=9):
        assert tuple(tagging.tags_from_spans(len(sentence.tags), tagging.spans(sentence.tags))) == sentence.tags
    with pytest.raises(ValueError, match="overlaps"):
        tagging.tags_from_spans(4, [("NAME", 0, 2), ("DATE", 1, 3)])
    with pytest.raises(ValueError, match="outside"):
        tagging.tags_from_spans(4, [("NAME", 2, 5)])
