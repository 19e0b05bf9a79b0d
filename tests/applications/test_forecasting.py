"""The forecasting chapter's code: baselines that compute what they say, and an LSTM that learns.

The quality check trains the chapter's forecaster on the sunspot numbers as the
chapter does and requires it to beat both naive baselines on the held-out tail,
so a change that stops it learning fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.applications import forecasting as fc
from lstm_course.data import Standardizer, chronological_split, load_sunspots, split_windows


def test_the_baselines_forecast_what_they_say():
    x = np.arange(12.0).reshape(2, 6)
    assert fc.naive_forecast(x).tolist() == [5.0, 11.0]
    assert fc.seasonal_naive_forecast(x[:, :, None], season=4).tolist() == [2.0, 8.0]
    rng = np.random.default_rng(0)
    series = np.zeros(300)
    for t in range(2, 300):  # an AR(2) process: the fit must find its coefficients
        series[t] = 0.5 + 1.2 * series[t - 1] - 0.5 * series[t - 2] + 0.01 * rng.standard_normal()
    windows = np.stack([series[i : i + 5] for i in range(295)])
    coefficients = fc.fit_autoregressive(windows, series[5:], order=2)
    np.testing.assert_allclose(coefficients, [1.2, -0.5, 0.5], atol=0.05)
    np.testing.assert_allclose(fc.autoregressive_forecast(coefficients, windows), series[5:], atol=0.05)
    with pytest.raises(ValueError, match="season"):
        fc.seasonal_naive_forecast(x, season=7)


def test_errors_intervals_and_recursion():
    assert fc.mae([1.0, 3.0], [2.0, 2.0]) == 1.0 and fc.rmse([0.0, 4.0], [0.0, 0.0]) == np.sqrt(8.0)
    assert fc.interval_half_width(np.arange(-50, 51), coverage=0.9) == 45.0
    forecasts = fc.recursive_forecast(lambda w: 2 * w[:, -1], np.array([[0.0, 1.0], [0.0, 3.0]]), 3)
    assert forecasts.tolist() == [[2.0, 4.0, 8.0], [6.0, 12.0, 24.0]]


def test_the_gpu_configuration_is_the_larger_run():
    big = fc.ForecastConfig.for_gpu(seed=3)
    assert (big.hidden_size, big.num_layers, big.seed) == (128, 2, 3) and big.epochs > fc.ForecastConfig().epochs


def test_the_lstm_forecaster_beats_the_naive_baselines_on_the_held_out_sunspots(one_thread):
    series = load_sunspots().values
    split = chronological_split(len(series), test=40, val=30)
    scaler = Standardizer().fit(series[split.train])
    parts = split_windows(scaler.transform(series), 24, 1, test=40, val=30)
    model, history = fc.train_forecaster(parts["train"], parts["val"], fc.ForecastConfig(seed=0))
    inputs, targets = parts["test"]
    actual = scaler.inverse(targets[:, 0, 0])
    lstm = fc.mae(scaler.inverse(fc.predict(model, inputs)), actual)
    naive = fc.mae(scaler.inverse(fc.naive_forecast(inputs)), actual)
    seasonal = fc.mae(scaler.inverse(fc.seasonal_naive_forecast(inputs, 11)), actual)
    assert lstm < 0.8 * min(naive, seasonal), (lstm, naive, seasonal)
    assert history.best_epoch < len(history.records)  # early stopping picked an epoch on the validation windows
