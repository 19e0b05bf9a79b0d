"""The tour's CTC stand-in: the glyph data, best-path decoding, the edit distance, and a reader that learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.applications import ctc


def test_glyph_strokes_are_seeded_padded_and_separate_equal_symbols():
    data = ctc.glyph_strokes(200, alphabet=3, seed=4, noise=0.0)
    again = ctc.glyph_strokes(200, alphabet=3, seed=4, noise=0.0)
    assert torch.equal(data.frames, again.frames) and data.labels == again.labels
    assert all(2 <= len(label) <= 6 and set(label) <= {1, 2, 3} for label in data.labels)
    for frames, length, label in zip(data.frames, data.lengths, data.labels):
        assert not frames[length:].any()  # zero after the end
        # Without noise the distinct non-pause frames, in order and with repeats merged, are the label:
        # every symbol is there, and two equal symbols in a row have a pause between them.
        runs = [tuple(row.tolist()) for row in frames[:length]]
        merged = [r for i, r in enumerate(runs) if i == 0 or r != runs[i - 1]]
        assert len([r for r in merged if any(r)]) == len(label)
    other = ctc.glyph_strokes(5, alphabet=3, seed=5, noise=0.0)
    assert not torch.equal(other.frames[0, :2], data.frames[0, :2])
    with pytest.raises(ValueError, match="count"):
        ctc.glyph_strokes(0)


def test_best_path_decoding_merges_repeats_and_drops_blanks():
    path = torch.tensor([[0, 1, 1, 0, 1, 2, 2, 0, 0]])
    log_probs = torch.nn.functional.one_hot(path, 3).float().log()
    assert ctc.greedy_ctc_decode(log_probs, torch.tensor([9])) == [[1, 1, 2]]
    assert ctc.greedy_ctc_decode(log_probs, torch.tensor([3])) == [[1]]  # only the first three frames


@pytest.mark.parametrize("a,b,distance", [([], [], 0), ([1, 2], [], 2), ([], [3], 1), ([1, 2, 3], [1, 3], 1),
                                          ("kitten", "sitting", 3), ([1, 2], [2, 1], 2)])
def test_edit_distance(a, b, distance):
    assert ctc.edit_distance(a, b) == distance == ctc.edit_distance(b, a)


def test_the_reader_learns_to_read_unsegmented_sequences(one_thread):
    # The bound the tour states: at least four in five held-out sequences read exactly.
    train, test = ctc.glyph_strokes(800, seed=1), ctc.glyph_strokes(300, seed=2)
    model, losses = ctc.train_ctc(train, 6)
    assert losses[-1] < 0.2 * losses[0]
    model.eval()
    with torch.no_grad():
        decoded = ctc.greedy_ctc_decode(model(test.frames, test.lengths), test.lengths)
    assert np.mean([d == label for d, label in zip(decoded, test.labels)]) >= 0.8
