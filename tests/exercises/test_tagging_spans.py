"""Tests of the exercise notebook exercises/tagging_spans.ipynb (Exercise 10: tags, spans and reading both ways).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "tagging_spans.ipynb"
POINTS = {
    "q1_bio_tags_test": 2,
    "q2_bio_spans_test": 3,
    "q3_span_f1_test": 2,
    "q4_reverse_padded_test": 2,
    "q5_bidirectional_lstm_test": 3,
}
BIDIRECTIONAL_LABEL = "outputs of bidirectional_lstm (B=4, T=6, D=3, H=5, lengths="

# name: (answer cell, right code, wrong code, test cell that must name it, what it must say, cells that fail)
MISTAKES = {
    "every position of a span tagged I": (
        "q1_bio_tags",
        '        tags[start] = "B-" + kind',
        '        tags[start] = "I-" + kind',
        "q1_bio_tags_test",
        ["bio_tags(7, ", "Looks like: every position of a span is tagged I-"],
        ["q1_bio_tags_test"],
    ),
    "end taken as inclusive": (
        "q1_bio_tags",
        "range(start + 1, end)",
        "range(start + 1, min(end + 1, length))",
        "q1_bio_tags_test",
        ["Looks like: end is taken as the last position of the span"],
        ["q1_bio_tags_test"],
    ),
    "orphan I dropped": (
        "q2_bio_spans",
        'if prefix == "B" or (prefix == "I" and not continues):',
        'if prefix == "B":',
        "q2_bio_spans_test",
        ["bio_spans([", "Looks like: an I- tag with no span of its kind open is dropped"],
        ["q2_bio_spans_test", "q3_span_f1_test"],
    ),
    "span at the end lost": (
        "q2_bio_spans",
        'list(tags) + ["O"]',
        "list(tags)",
        "q2_bio_spans_test",
        ["Looks like: a span that runs to the last position is lost"],
        ["q2_bio_spans_test", "q3_span_f1_test"],
    ),
    "precision and recall swapped": (
        "q3_span_f1",
        "    return precision, recall, f1",
        "    return recall, precision, f1",
        "q3_span_f1_test",
        ["(precision, recall, f1) of span_f1 (6 sentences of 15 tags, 10% of the tags replaced at random) is wrong",
         "Looks like: precision and recall are swapped"],
        ["q3_span_f1_test"],
    ),
    "arithmetic mean for F1": (
        "q3_span_f1",
        "f1 = 2 * precision * recall / (precision + recall) if right else 0.0",
        "f1 = (precision + recall) / 2",
        "q3_span_f1_test",
        ["Looks like: F1 is the arithmetic mean of precision and recall"],
        ["q3_span_f1_test"],
    ),
    "whole time axis reversed": (
        "q4_reverse_padded",
        "        result[b, :length] = x[b, :length][::-1]",
        "        result[b] = x[b, ::-1]",
        "q4_reverse_padded_test",
        ["reverse_padded (x (4, 6, 3), lengths=", "Looks like: the whole time axis is reversed, padding included"],
        ["q4_reverse_padded_test", "q5_bidirectional_lstm_test"],
    ),
    "backward outputs not reversed back": (
        "q5_bidirectional_lstm",
        "    behind = reverse_padded(run(backward, reverse_padded(inputs, lengths)), lengths)",
        "    behind = run(backward, reverse_padded(inputs, lengths))",
        "q5_bidirectional_lstm_test",
        [BIDIRECTIONAL_LABEL, "Looks like: the backward outputs are left in reversed order"],
        ["q5_bidirectional_lstm_test"],
    ),
    "backward direction reads the padding first": (
        "q5_bidirectional_lstm",
        "    behind = reverse_padded(run(backward, reverse_padded(inputs, lengths)), lengths)",
        "    behind = run(backward, inputs[:, ::-1].copy())[:, ::-1]",
        "q5_bidirectional_lstm_test",
        [BIDIRECTIONAL_LABEL, "Looks like: the backward LSTM read the padding first"],
        ["q5_bidirectional_lstm_test"],
    ),
    "padding not zeroed": (
        "q5_bidirectional_lstm",
        "    outputs[np.arange(inputs.shape[1]) >= np.asarray(lengths)[:, None]] = 0.0  # the padded steps\n",
        "",
        "q5_bidirectional_lstm_test",
        [BIDIRECTIONAL_LABEL, "Looks like: the padded steps are not zero"],
        ["q5_bidirectional_lstm_test"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    notebooks.assert_mistake_caught(NOTEBOOK, list(POINTS), MISTAKES[mistake])
