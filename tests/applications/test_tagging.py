"""The tagging chapter's code: padding that never changes a tag, span-level scores, held-out names, and
a tagger that learns."""

from __future__ import annotations

import pytest
import torch

from lstm_course.applications import tagging as tg
from lstm_course.data import Vocabulary, load_surnames


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_a_sentences_logits(bidirectional):
    torch.manual_seed(0)
    model = tg.CharTagger(12, embedding_size=4, hidden_size=5, bidirectional=bidirectional)
    alone = model(torch.tensor([[4, 5, 6]]), torch.tensor([3]))
    padded = model(torch.tensor([[4, 5, 6, 0, 0], [7, 8, 0, 0, 0]]), torch.tensor([3, 2]))
    torch.testing.assert_close(padded[:1, :3], alone)


def test_span_scores_count_whole_spans_only():
    actual = [["B-NAME", "I-NAME", "O", "B-DATE", "I-DATE"], ["B-DATE", "O", "O"]]
    predicted = [["B-NAME", "I-NAME", "O", "B-DATE", "O"], ["B-DATE", "O", "B-NAME"]]
    scores = tg.span_scores(predicted, actual)
    assert scores["NAME"] == tg.SpanScore(precision=0.5, recall=1.0, f1=2 / 3, support=1)
    assert scores["DATE"] == tg.SpanScore(precision=0.5, recall=0.5, f1=0.5, support=2)
    assert scores["all"].precision == 2 / 4 and scores["all"].recall == 2 / 3
    with pytest.raises(ValueError, match="positions"):
        tg.span_scores([["O"]], [["O", "O"]])


def test_test_sentences_use_only_held_out_surnames():
    splits = tg.tagging_splits(300, 50, 300, seed=5)
    names = set(load_surnames().names)

    def used(sentences):
        return {s.text[a:b] for s in sentences for kind, a, b in tg.spans(s.tags) if kind == "NAME"}

    seen, unseen = used(splits.train) | used(splits.val), used(splits.test)
    assert unseen and seen and unseen <= names and not seen & unseen


def test_the_tagger_finds_unseen_names_and_dates_and_reading_both_ways_helps(one_thread):
    splits = tg.tagging_splits(seed=0)
    vocabulary = Vocabulary.build(s.text for s in splits.train)
    train, val, test = (tg.encode_sentences(part, vocabulary) for part in splits)
    f1 = {}
    for bidirectional in (True, False):
        model, history = tg.train_tagger(train, val, len(vocabulary), tg.TaggerConfig(bidirectional=bidirectional))
        assert history.records[-1].train_loss < history.records[0].train_loss
        f1[bidirectional] = tg.span_scores(tg.predict_tags(model, test), [s.tags for s in splits.test])
    # The bounds the chapter states: span F1 over 0.95 on sentences whose surnames were never seen, and
    # a unidirectional tagger clearly behind on names.
    assert f1[True]["all"].f1 > 0.95 and f1[True]["NAME"].f1 > 0.95 and f1[True]["DATE"].f1 > 0.95
    assert f1[True]["NAME"].f1 > f1[False]["NAME"].f1 + 0.03
