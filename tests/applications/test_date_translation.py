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
