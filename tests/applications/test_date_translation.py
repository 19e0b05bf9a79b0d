"""The date-translation chapter's code: held-out splits, encoding, batched decoding, and a model that learns."""

from __future__ import annotations

import pytest
import torch

from lstm_course.applications import date_translation as dt
from lstm_course.data import Vocabulary
from lstm_course.nn import Seq2Seq


def test_no_test_text_occurs_in_training():
    train, test = dt.split_dates(3000, 300, seed=4)
    assert len(train) == 3000 and 250 < len(test) <= 300
    assert not {d.text for d in train} & {d.text for d in test}
    again = dt.split_dates(3000, 300, seed=4)
    assert [d.text for d in again[1]] == [d.text for d in test]


def test_held_out_languages_and_formats_never_occur_in_training():
    train, test = dt.split_dates(2000, 300, seed=1, held_out_languages=["it", "nl"], held_out_formats=["short"])
    assert not {d.language for d in train} & {"it", "nl"} and "short" not in {d.format for d in train}
    assert {d.language for d in test} == {"it", "nl"} and {d.format for d in test} == {"short"}
    assert len({d.language for d in train}) == 5 and len({d.format for d in train}) == 8
    _, only_formats = dt.split_dates(100, 200, seed=1, held_out_formats=["d MMM y"])
    assert {d.format for d in only_formats} == {"d MMM y"} and len({d.language for d in only_formats}) == 7


@pytest.mark.parametrize("held_out, message", [
    ({"held_out_languages": ["xx"]}, "held_out_languages must be a list of some of"),
    ({"held_out_formats": "short"}, "held_out_formats must be a list"),
    ({"held_out_languages": ["en", "fr", "de", "es", "it", "nl", "pt"]}, "nothing would be left to train on"),
])
def test_a_held_out_set_that_is_not_a_part_of_the_known_ones_is_refused(held_out, message):
    with pytest.raises(ValueError, match=message):
        dt.split_dates(10, 10, **held_out)


def test_a_mistake_is_another_reading_only_if_some_language_writes_that_date_so():
    _, test = dt.split_dates(0, 400, seed=3)
    ambiguous = next(d for d in test if d.format == "short" and d.language == "en" and int(d.iso[8:]) <= 12
                     and d.iso[5:7] != d.iso[8:])
    swapped = f"{ambiguous.iso[:4]}-{ambiguous.iso[8:]}-{ambiguous.iso[5:7]}"
    assert dt.mistake_kind(ambiguous, swapped) == "another reading"
    named = next(d for d in test if d.format == "long" and d.language == "fr" and d.iso[5:7] != "01")
    assert dt.mistake_kind(named, named.iso[:5] + "01" + named.iso[7:]) == "wrong"
    for impossible in (named.iso[:8] + "00", named.iso[:5] + "13" + named.iso[7:], named.iso[:9], "x" * 10):
        assert dt.mistake_kind(named, impossible) == "not a date"
    assert dt.mistake_kind(named, named.iso) == "right"


def test_encoded_targets_are_the_iso_characters_then_eos():
    train, _ = dt.split_dates(20, 0, seed=0)
    source_vocabulary, target_vocabulary = Vocabulary.build(d.text for d in train), Vocabulary(dt.TARGET_SYMBOLS)
    source, lengths, targets = dt.encode_dates(train, source_vocabulary, target_vocabulary)
    assert targets.shape == (20, dt.ISO_LENGTH + 1) and bool((targets[:, -1] == Vocabulary.EOS).all())
    assert [target_vocabulary.decode(row) for row in targets.tolist()] == [d.iso for d in train]
    assert lengths.tolist() == [len(d.text) for d in train] and source.shape[1] == max(lengths.tolist())


@pytest.mark.parametrize("beam_size", [1, 3])
def test_translating_in_small_batches_changes_nothing(beam_size, one_thread):
    train, _ = dt.split_dates(40, 0, seed=2)
    source_vocabulary, target_vocabulary = Vocabulary.build(d.text for d in train), Vocabulary(dt.TARGET_SYMBOLS)
    torch.manual_seed(0)
    model = Seq2Seq(len(source_vocabulary), len(target_vocabulary), embedding_size=4, hidden_size=6,
                    bos_id=Vocabulary.BOS, eos_id=Vocabulary.EOS, pad_id=Vocabulary.PAD)
    translator = dt.Translator(model, source_vocabulary, target_vocabulary)
    texts = [d.text for d in train]
    whole, decoded = dt.translate(translator, texts, beam_size=beam_size)
    pieces, in_pieces = dt.translate(translator, texts, beam_size=beam_size, batch_size=7)
    assert pieces == whole
    torch.testing.assert_close(in_pieces.scores, decoded.scores)
    torch.testing.assert_close(in_pieces.attention, decoded.attention)
    steps = decoded.attention[:, : int(decoded.lengths.min())]
    torch.testing.assert_close(steps.sum(dim=2), torch.ones(steps.shape[:2]))


def test_exact_match_counts_whole_dates():
    _, test = dt.split_dates(0, 4, seed=0)
    guesses = [d.iso for d in test[:3]] + [test[3].iso[:-1] + "x"]
    assert dt.exact_match(guesses, test) == 0.75
    with pytest.raises(ValueError, match="one prediction per date"):
        dt.exact_match(guesses[:2], test)


def test_the_translator_gets_95_percent_of_held_out_dates_exactly_right(one_thread):
    train, test = dt.split_dates(dt.TranslatorConfig().train_size, 1000, seed=0)
    translator, history = dt.train_translator(train)
    assert history[-1].train_loss < 0.1 * history[0].train_loss
    texts = [d.text for d in test]
    greedy, _ = dt.translate(translator, texts)
    assert dt.exact_match(greedy, test) >= 0.95
    beam, _ = dt.translate(translator, texts, beam_size=4, alpha=0.6)
    assert dt.exact_match(beam, test) >= 0.95


def test_formats_never_seen_in_training_are_translated_from_their_known_parts(one_thread):
    # "d MMM y" and "EEEE d MMMM y" only recombine day numbers, month names and weekdays seen in other formats.
    held_out = ["d MMM y", "EEEE d MMMM y"]
    train, test = dt.split_dates(dt.TranslatorConfig().train_size, 500, seed=0, held_out_formats=held_out)
    translator, _ = dt.train_translator(train)
    greedy, _ = dt.translate(translator, [d.text for d in test])
    assert {d.format for d in test} == set(held_out) and dt.exact_match(greedy, test) >= 0.95
