"""The language-model chapter's code: structure signals, unit search, and a model that learns the corpus."""

from __future__ import annotations

import numpy as np
import torch

from lstm_course.applications import language_model as lm
from lstm_course.data import char_stream, python_docs_text


def test_the_unit_search_finds_a_planted_tracker():
    rng = np.random.default_rng(0)
    text = 'x = "ab" + f("cd", (e))' * 20
    quotes = lm.inside_quotes(text)
    states = rng.standard_normal((len(text), 6))
    states[:, 4] = 3 * quotes - 1 + 0.1 * rng.standard_normal(len(text))
    (unit, correlation), *_ = lm.tracking_units(states, quotes)
    assert unit == 4 and correlation > 0.95
    assert lm.bracket_depth("(()").tolist() == [1.0, 2.0, 1.0]
    page = lm.colour_text('a<"\n', np.array([1.0, -1.0, 0.0, 0.5]))
    assert "&lt;" in page and "<br>" in page and "rgba(214, 39, 40, 1.00)" in page


def test_columns_cut_a_stream_side_by_side():
    assert lm.columns(torch.arange(7), 3).tolist() == [[0, 2, 4], [1, 3, 5]]


def test_a_short_run_beats_the_unigram_model_by_more_than_a_bit_per_character(one_thread):
    streams = char_stream(python_docs_text(), val=0.05, test=0.05)
    vocab = len(streams.vocabulary)
    model, history = lm.train_char_lm(streams.train, streams.val, vocab, lm.LMConfig(epochs=1))
    bits = lm.bits_per_character(model, streams.test)
    assert bits < lm.unigram_bits(streams.train, streams.test, vocab) - 1, bits
