"""Tests of the exercise notebook exercises/attention_beam.ipynb (Exercise 7: attention and beam search).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "attention_beam.ipynb"
POINTS = {
    "q1_masked_softmax_test": 2,
    "q2_additive_scores_test": 2,
    "q3_general_attention_test": 2,
    "q4_length_normalized_score_test": 2,
    "q5_beam_search_test": 4,
}


# name: (answer cell, right code, wrong code, test cell that must name it, what it must say, cells that fail)
MISTAKES = {
    "mask applied after the softmax": (
        "q1_masked_softmax",
        "    masked = np.where(mask, scores, -np.inf)  # (B, S) padding can get no weight: exp(-inf) = 0\n"
        "    shifted = masked - masked.max(axis=-1, keepdims=True)"
        "  # (B, S) the largest real score of each row becomes 0\n"
        "    e = np.exp(shifted)  # (B, S), exactly 0 on padding\n"
        "    return e / e.sum(axis=-1, keepdims=True)",
        "    e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True) * mask",
        "q1_masked_softmax_test",
        ["weights of masked_softmax for scores of shape (1, 5) is wrong",
         "Looks like: the mask is applied after the softmax"],
        ["q1_masked_softmax_test", "q3_general_attention_test"],
    ),
    "maximum taken over the padding too": (
        "q1_masked_softmax",
        "    shifted = masked - masked.max(axis=-1, keepdims=True)",
        "    shifted = masked - scores.max(axis=-1, keepdims=True)",
        "q1_masked_softmax_test",
        ["weights of masked_softmax for scores of shape (3, 5) holds NaN, first in row 1",
         "Looks like: the largest score of each row is taken over the padding too"],
        ["q1_masked_softmax_test"],
    ),
    "tanh missing from the additive score": (
        "q2_additive_scores",
        "    hidden = np.tanh(projected_query[:, None, :] + keys @ w_k.T + b)",
        "    hidden = projected_query[:, None, :] + keys @ w_k.T + b",
        "q2_additive_scores_test",
        ["scores of additive_scores (B=1, S=4, H_q=3, H_k=5, A=6) is wrong", "Looks like: the tanh is missing"],
        ["q2_additive_scores_test"],
    ),
    "w_a transposed": (
        "q3_general_attention",
        "    projected = query @ w_a  #",
        "    projected = query @ w_a.T  #",
        "q3_general_attention_test",
        ["weights (B=3, S=5, H_q=4, H_k=4, H_v=4) is wrong", "Looks like: w_a is transposed"],
        ["q3_general_attention_test"],
    ),
    "context from the keys": (
        "q3_general_attention",
        'context = np.einsum("bs,bsv->bv", weights, values)',
        'context = np.einsum("bs,bsv->bv", weights, keys)',
        "q3_general_attention_test",
        ["context (B=3, S=5, H_q=4, H_k=4, H_v=4) is wrong",
         "Looks like: the context is a weighted mean of the keys; weight the values"],
        ["q3_general_attention_test"],
    ),
    "length penalty |Y| ** alpha": (
        "q4_length_normalized_score",
        "    return log_prob / ((5 + np.asarray(length, dtype=np.float64)) / 6) ** alpha",
        "    return log_prob / np.asarray(length, dtype=np.float64) ** alpha",
        "q4_length_normalized_score_test",
        ["length_normalized_score(log_prob, length, alpha=0.6) for arrays of shape (1,) is wrong",
         "Looks like: the score is divided by |Y| ** alpha"],
        ["q4_length_normalized_score_test", "q5_beam_search_test"],
    ),
    "no length normalisation": (
        "q5_beam_search",
        "    best = int(np.argmax(scores))",
        "    best = int(np.argmax(totals))",
        "q5_beam_search_test",
        ["tokens (beam_size=2, V=3, eos_id=0, max_len=5, alpha=1, a sure long output) has the wrong shape",
         "Looks like: the final hypotheses are ranked by their log-probability"],
        ["q5_beam_search_test"],
    ),
    "no stop at the end of sequence": (
        "q5_beam_search",
        "            if tokens and tokens[-1] == eos_id:  # finished: carried over unchanged",
        "            if False:",
        "q5_beam_search_test",
        ["tokens (beam_size=3, V=5, eos_id=3, max_len=6, alpha=1) has the wrong shape",
         "Looks like: hypotheses go on after the end-of-sequence token"],
        ["q5_beam_search_test"],
    ),
    "end of sequence not counted in |Y|": (
        "q5_beam_search",
        "    lengths = np.array([len(tokens) for tokens, _, _ in beam])",
        "    lengths = np.array([len(tokens) - (tokens[-1] == eos_id) for tokens, _, _ in beam])",
        "q5_beam_search_test",
        ["score (beam_size=3, V=5, eos_id=3, max_len=6, alpha=1) is wrong",
         "Looks like: |Y| does not count the end-of-sequence token"],
        ["q5_beam_search_test"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, test_id, says, failing = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == failing
    notebooks.assert_names_the_mistake(cells[test_id], says)
    for later in failing[1:]:
        number = list(POINTS).index(later) + 1
        assert f"which Q{number} builds on (pass Q{list(POINTS).index(test_id) + 1} first)" in results[later].feedback
