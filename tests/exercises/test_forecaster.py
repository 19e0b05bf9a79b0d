"""Tests of the exercise notebook exercises/forecaster.ipynb (Exercise 8: a time-series forecaster).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "forecaster.ipynb"


# name: (answer cell, right code, wrong code, test cell that must name it, what it must say)
MISTAKES = {
    "target inside the window": (
        "q1_make_windows",
        "        targets = series[window:].copy()",
        "        targets = series[window - 1 : -1].copy()",
        "q1_make_windows_test",
        ["targets (T=20, W=5, D=1, many_to_many=False) is wrong",
         "Looks like: the target is the last value of the window"],
    ),
    "windows from sliding_window_view": (
        "q1_make_windows",
        "    inputs = np.stack([series[i : i + window] for i in range(count)])",
        "    inputs = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)[:count]",
        "q1_make_windows_test",
        ["inputs (T=20, W=5, D=1, many_to_many=False) has the wrong shape: expected (15, 5, 1), got (15, 1, 5)",
         "Looks like: the window axis is last, (N, D, W)"],
    ),
    "many-to-many targets not shifted": (
        "q1_make_windows",
        "series[i + 1 : i + window + 1]",
        "series[i : i + window]",
        "q1_make_windows_test",
        ["targets (T=20, W=5, D=1, many_to_many=True) is wrong",
         "Looks like: the targets are the input windows themselves"],
    ),
    "statistics of the whole series": (
        "q2_standardize",
        "    train = series[:num_train]",
        "    train = series",
        "q2_standardize_test",
        ["mean (T=30, num_train=20, D=1) is wrong",
         "Looks like: the mean is taken over the whole series, its test part included: the test data leaks"],
    ),
    "sample standard deviation": (
        "q2_standardize",
        "    std = train.std(axis=0)",
        "    std = train.std(axis=0, ddof=1)",
        "q2_standardize_test",
        ["std (T=30, num_train=20, D=1) is wrong", "Looks like: ddof=1, the sample standard deviation"],
    ),
    "seasonal forecast one step early": (
        "q3_seasonal_naive",
        "    predictions = inputs[:, window - season]",
        "    predictions = inputs[:, window - season - 1]",
        "q3_seasonal_naive_test",
        ["predictions (N=24, W=6, D=2, season=1) is wrong", "Looks like: the value m + 1 steps before the target"],
    ),
    "RMSE without the root": (
        "q3_seasonal_naive",
        "    rmse = float(np.sqrt(np.mean(errors**2)))",
        "    rmse = float(np.mean(errors**2))",
        "q3_seasonal_naive_test",
        ["rmse (N=24, W=6, D=2, season=1) is wrong", "Looks like: the square root is missing"],
    ),
    "gradients never zeroed": (
        "q4_train_forecaster",
        "        optimizer.zero_grad()\n",
        "",
        "q4_train_forecaster_test",
        ["losses (N=42, W=8, D=1, H=6, epochs=30, lr=0.02, seed=", "Looks like: the gradients are never zeroed"],
    ),
    "predictions of the training windows": (
        "q4_train_forecaster",
        "        predictions = model(torch.from_numpy(test_inputs))",
        "        predictions = model(x)",
        "q4_train_forecaster_test",
        ["predictions (N=42, W=8, D=1, H=6, epochs=30, lr=0.02, seed=",
         "has the wrong shape: expected (10, 1), got (42, 1)",
         "Looks like: the predictions are those of the training windows"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, test_id, says = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == [test_id]  # the tests of the others use references
    notebooks.assert_names_the_mistake(cells[test_id], says)
