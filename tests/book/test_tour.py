"""The claims of the closing tour (book/tour.md) that its prose states as numbers."""

from __future__ import annotations

import numpy as np
import torch

from lstm_course.applications import forecasting as fc
from lstm_course.data import split_windows


def test_an_lstm_is_not_ahead_of_the_zero_forecast_on_independent_returns():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        returns = 0.01 * np.random.default_rng(0).standard_normal(1500)
        parts = split_windows(returns / returns[:1000].std(), 20, test=300, val=200)
        model, _ = fc.train_forecaster(parts["train"], parts["val"], fc.ForecastConfig(epochs=30, patience=5))
    finally:
        torch.set_num_threads(threads)
    inputs, targets = parts["test"]
    actual = targets[:, 0, 0]
    lstm, zero = fc.rmse(fc.predict(model, inputs), actual), fc.rmse(np.zeros_like(actual), actual)
    naive = fc.rmse(fc.naive_forecast(inputs[:, :, 0]), actual)
    assert lstm > 0.98 * zero  # "not ahead by more than 2%"
    assert naive > 1.3 * zero  # "yesterday's return ... is far worse on returns"
