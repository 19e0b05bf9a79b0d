"""Tests of the exercise notebook exercises/char_lm_sampling.ipynb (Exercise 6: sampling from a character
language model).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "char_lm_sampling.ipynb"
POINTS = {
    "q1_softmax_with_temperature_test": 2,
    "q2_top_k_filter_test": 2,
    "q3_sample_next_test": 3,
    "q4_generate_test": 3,
}


# name: (answer cell, right code, wrong code, test cell that must name it, what it must say, cells that fail)
MISTAKES = {
    "temperature multiplied": (
        "q1_softmax_with_temperature",
        "np.float64) / temperature",
        "np.float64) * temperature",
        "q1_softmax_with_temperature_test",
        ["softmax_with_temperature(logits, 0.5) for logits of shape (3, 6) is wrong",
         "Looks like: the temperature multiplies the logits instead of dividing them"],
        None,
    ),
    "softmax over the batch axis": (
        "q1_softmax_with_temperature",
        "    shifted = scaled - scaled.max(axis=-1, keepdims=True)  # (B, V), at most 0: np.exp cannot overflow\n"
        "    e = np.exp(shifted)  # (B, V)\n"
        "    return e / e.sum(axis=-1, keepdims=True)",
        "    shifted = scaled - scaled.max(axis=0, keepdims=True)\n    e = np.exp(shifted)\n"
        "    return e / e.sum(axis=0, keepdims=True)",
        "q1_softmax_with_temperature_test",
        ["softmax_with_temperature(logits, 1) for logits of shape (1, 5) is wrong",
         "Looks like: the softmax is taken over axis 0, the batch"],
        None,  # every cell from Q1 on, except Q2
    ),
    "no shift before np.exp": (
        "q1_softmax_with_temperature",
        "    shifted = scaled - scaled.max(axis=-1, keepdims=True)",
        "    shifted = scaled",
        "q1_softmax_with_temperature_test",
        ["for logits of shape (2, 7) overflowed", "Looks like: np.exp of large numbers"],
        ["q1_softmax_with_temperature_test", "q3_sample_next_test"],
    ),
    "filtered logits set to zero": (
        "q2_top_k_filter",
        "    filtered[filtered < kth_largest] = -np.inf",
        "    filtered[filtered < kth_largest] = 0.0",
        "q2_top_k_filter_test",
        ["top_k_filter(logits, k=2) for logits of shape (1, 6) is wrong",
         "Looks like: the other logits are set to 0 instead of -np.inf"],
        ["q2_top_k_filter_test", "q3_sample_next_test", "q4_generate_test"],
    ),
    "one uniform number for every row": (
        "q3_sample_next",
        "    u = rng.random(probs.shape[0])  # (B,) one uniform number per row\n"
        "    cdf = np.cumsum(probs, axis=-1)  # (B, V) running sums of the probabilities\n"
        "    tokens = np.sum(cdf <= u[:, None], axis=-1)",
        "    u = rng.random()\n    cdf = np.cumsum(probs, axis=-1)\n    tokens = np.sum(cdf <= u, axis=-1)",
        "q3_sample_next_test",
        ["sample_next(logits, temperature=0.7, top_k=None, rng=",
         "Looks like: every row uses the same uniform number"],
        ["q3_sample_next_test", "q4_generate_test"],
    ),
    "argmax instead of a draw": (
        "q3_sample_next",
        "    return np.minimum(tokens, probs.shape[-1] - 1)",
        "    return probs.argmax(axis=-1)",
        "q3_sample_next_test",
        ["sample_next(logits, temperature=0.7, top_k=None, rng=",
         "Looks like: the most probable token is returned (argmax) instead of a draw"],
        ["q3_sample_next_test", "q4_generate_test"],
    ),
    "numpy's global generator": (
        "q3_sample_next",
        "    u = rng.random(probs.shape[0])",
        "    u = np.random.random(probs.shape[0])",
        "q3_sample_next_test",
        ["sample_next(logits, rng=", "drew different tokens when called twice with the same seed",
         "Looks like: random numbers from NumPy's global generator"],
        ["q3_sample_next_test", "q4_generate_test"],
    ),
    "the seed passed at every step": (
        "q4_generate",
        "    rng = np.random.default_rng(rng)\n",
        "",
        "q4_generate_test",
        ["tokens of generate (B=1, V=5, H=4, T0=3, num_new=6", "Looks like: a generator is made afresh at every step"],
        ["q4_generate_test"],
    ),
    "the state is not updated after a draw": (
        "q4_generate",
        "        h = step(new_tokens[:, n], h)",
        "        step(new_tokens[:, n], h)",
        "q4_generate_test",
        ["Looks like: the state is not updated after a draw"],
        ["q4_generate_test"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, test_id, says, failing = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    if failing is None:
        failing = [g for g in POINTS if g != "q2_top_k_filter_test"]
    assert [g for g, r in results.items() if not r.passed] == failing
    notebooks.assert_names_the_mistake(cells[test_id], says)
    if test_id == "q3_sample_next_test" and "q4_generate_test" in failing:
        assert "which Q4 builds on (pass Q3 first)" in results["q4_generate_test"].feedback
