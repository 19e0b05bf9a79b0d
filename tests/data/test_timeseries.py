"""Loaders of the shipped time series, windows, splits that never leak, and scaling by training data."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.data import timeseries as ts


def test_the_series_have_the_documented_length_span_and_no_gaps():
    sun = ts.load_sunspots()
    assert (len(sun.values), sun.time[0], sun.time[-1]) == (309, 1700, 2008)
    assert np.all(np.diff(sun.time) == 1) and sun.values.min() >= 0
    co2 = ts.load_co2()
    raw = ts.load_co2(fill=False)
    assert len(co2.values) == 2284 and int(np.isnan(raw.values).sum()) == 59
    assert not np.isnan(co2.values).any() and np.all(np.diff(co2.time) > 0)
    assert 310 < co2.values[0] < 320 and 365 < co2.values[-1] < 375  # ppm in 1958 and 2001
    weather = ts.load_seattle_weather("temp_min")
    assert len(weather.values) == 1461 and weather.unit == "degrees C"
    with pytest.raises(ValueError, match="column must be one of"):
        ts.load_seattle_weather("humidity")


def test_windows_read_the_past_and_forecast_what_follows():
    series = np.arange(20.0).reshape(10, 2)
    x, y = ts.sliding_windows(series, window=3, horizon=2)
    assert x.shape == (6, 3, 2) and y.shape == (6, 2, 2)
    for m in range(6):
        np.testing.assert_array_equal(x[m], series[m : m + 3])
        np.testing.assert_array_equal(y[m], series[m + 3 : m + 5])
    with pytest.raises(ValueError, match="window"):
        ts.sliding_windows(series, window=0)


@pytest.mark.parametrize("window,horizon,test,val", [(5, 1, 20, 10), (12, 6, 0.2, 0.1), (1, 3, 7, 0)])
def test_no_target_of_an_earlier_part_lies_in_a_later_one(window, horizon, test, val):
    steps = np.arange(100.0)  # each value is its own time step
    parts = ts.split_windows(steps, window, horizon, test=test, val=val)
    split = ts.chronological_split(100, test, val)
    for name, part in zip(("train", "val", "test"), split):
        inputs, targets = parts[name]
        if len(targets) == 0:
            assert part.stop - part.start < horizon, name  # too short a part for a single forecast
            continue
        assert targets.min() >= part.start and targets.max() < part.stop, name  # targets inside their part
        assert np.all(inputs.max(axis=(1, 2)) < targets.min(axis=(1, 2)))  # each window reads only its past
    assert parts["train"][1].max() < split.val.start


def test_scaling_uses_the_training_part_only():
    series = np.concatenate([np.zeros(50), np.full(50, 100.0)])
    split = ts.chronological_split(100, test=50)
    scaler = ts.Standardizer().fit(series[split.train])
    assert scaler.mean.tolist() == [0.0] and scaler.std.tolist() == [1.0]  # the test part's 100s left out
    np.testing.assert_allclose(scaler.inverse(scaler.transform(series)), series)
    with pytest.raises(RuntimeError, match="call fit"):
        ts.Standardizer().transform(series)
    with pytest.raises(ValueError, match="no training steps"):
        ts.chronological_split(10, test=5, val=5)
