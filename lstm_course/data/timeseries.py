"""Real time series that ship with the package, and the windows and splits forecasting needs.

``load_sunspots()``
    yearly mean sunspot number, 1700-2008 (NOAA): a cycle of about 11 years
    whose height varies, the classic test of nonlinear forecasting.
``load_co2()``
    weekly CO2 at Mauna Loa, 1958-2001 (Keeling & Whorf 2004): a trend and a
    yearly season.
``load_seattle_weather(column)``
    a daily series of Seattle's weather, 2012-2015 (NOAA).
``chronological_split(n, test, val)``
    the slices of a series' train, validation and test parts, in time order.
``sliding_windows(series, window, horizon)``
    (inputs, targets) pairs: ``window`` past values and the ``horizon`` after them.
``split_windows(series, window, horizon, test, val)``
    windows for each part such that no target of an earlier part lies at or
    after the first target of a later one: nothing of the future leaks into
    training. A later part's windows may read earlier values as inputs, as a
    forecaster in use does.
``Standardizer``
    scaling by the mean and standard deviation of the training part only.

Dimensions: N time steps, D features, W window, K horizon, M windows.
Files and licences: ``files/SOURCES.md``.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

import numpy as np

from .files import read_csv

__all__ = ["Series", "Split", "Standardizer", "chronological_split", "load_co2", "load_seattle_weather",
           "load_sunspots", "sliding_windows", "split_windows"]


class Series(NamedTuple):
    """A time series: ``time`` (N,) in years (a decimal year for weekly and daily data), ``values`` (N,)."""

    time: np.ndarray
    values: np.ndarray
    name: str
    unit: str


def load_sunspots() -> Series:
    """Yearly mean sunspot number, 1700-2008: 309 values.

    >>> s = load_sunspots()
    >>> len(s.values), int(s.time[0]), int(s.time[-1])
    (309, 1700, 2008)
    """
    rows = read_csv("sunspots.csv")
    return Series(np.array([float(r["YEAR"]) for r in rows]), np.array([float(r["SUNACTIVITY"]) for r in rows]),
                  "sunspot number", "mean sunspot number per year")


def _decimal_year(day: datetime.date) -> float:
    start = datetime.date(day.year, 1, 1)
    return day.year + (day - start).days / (datetime.date(day.year + 1, 1, 1) - start).days


def load_co2(*, fill: bool = True) -> Series:
    """Weekly CO2 at Mauna Loa, March 1958 - December 2001: 2,284 weeks, in ppm.

    Args:
        fill: fill the 59 missing weeks by linear interpolation in time; False leaves them NaN.
    """
    rows = read_csv("co2_weekly.csv")
    time = np.array([_decimal_year(datetime.datetime.strptime(r["date"], "%Y%m%d").date()) for r in rows])
    values = np.array([float(r["co2"]) if r["co2"] else np.nan for r in rows])
    if fill:
        known = ~np.isnan(values)
        values = np.interp(time, time[known], values[known])
    return Series(time, values, "CO2 at Mauna Loa", "ppm")


SEATTLE_COLUMNS = {"precipitation": "mm", "temp_max": "degrees C", "temp_min": "degrees C", "wind": "m/s"}


def load_seattle_weather(column: str = "temp_max") -> Series:
    """One daily column of Seattle's weather, 2012-2015 (1,461 days): ``SEATTLE_COLUMNS`` lists them."""
    if column not in SEATTLE_COLUMNS:
        raise ValueError(f"column must be one of {sorted(SEATTLE_COLUMNS)}, got {column!r}")
    rows = read_csv("seattle_weather.csv")
    time = np.array([_decimal_year(datetime.datetime.strptime(r["date"], "%Y/%m/%d").date()) for r in rows])
    return Series(time, np.array([float(r[column]) for r in rows]), f"Seattle {column}", SEATTLE_COLUMNS[column])


class Split(NamedTuple):
    """Slices of a series of N steps, in time order: ``train``, then ``val``, then ``test``."""

    train: slice
    val: slice
    test: slice


def _count(n: int, part, name: str) -> int:
    if isinstance(part, float):
        if not 0 <= part < 1:
            raise ValueError(f"{name} as a fraction must be in [0, 1), got {part}")
        return int(round(part * n))
    if isinstance(part, bool) or not isinstance(part, int) or part < 0:
        raise ValueError(f"{name} must be a fraction or a count of steps >= 0, got {part!r}")
    return part


def chronological_split(n: int, test, val=0) -> Split:
    """Cut N steps into train, validation and test parts, in that order in time.

    ``test`` and ``val`` are counts of steps or fractions of N.

    >>> chronological_split(10, test=0.2, val=2)
    Split(train=slice(0, 6, None), val=slice(6, 8, None), test=slice(8, 10, None))
    """
    test, val = _count(n, test, "test"), _count(n, val, "val")
    if test + val >= n:
        raise ValueError(f"test ({test}) and val ({val}) leave no training steps out of {n}")
    return Split(slice(0, n - test - val), slice(n - test - val, n - test), slice(n - test, n))


def _as_2d(series) -> np.ndarray:
    array = np.asarray(series, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"series must be (N,) or (N, D), got shape {array.shape}")
    return array


def sliding_windows(series, window: int, horizon: int = 1, *, targets_from: int = 0) -> tuple:
    """Every (inputs, targets) pair of ``window`` consecutive values and the ``horizon`` values after them.

    Args:
        series: (N,) or (N, D) values in time order.
        window: W >= 1 steps of input.
        horizon: K >= 1 steps to forecast.
        targets_from: only windows whose first target is at step ``targets_from`` or later.

    Returns:
        inputs (M, W, D) and targets (M, K, D); window m reads steps ``s .. s+W-1`` and forecasts
        ``s+W .. s+W+K-1``.

    >>> x, y = sliding_windows(np.arange(6.0), window=3, horizon=2)
    >>> x[:, :, 0].tolist(), y[:, :, 0].tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0, 4.0], [4.0, 5.0]])
    """
    array = _as_2d(series)
    for name, value in (("window", window), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    first = max(0, targets_from - window)
    starts = np.arange(first, len(array) - window - horizon + 1)
    if len(starts) == 0:
        shape = array.shape[1:]
        return np.empty((0, window, *shape)), np.empty((0, horizon, *shape))
    inputs = np.stack([array[s : s + window] for s in starts])
    targets = np.stack([array[s + window : s + window + horizon] for s in starts])
    return inputs, targets


def split_windows(series, window: int, horizon: int = 1, *, test, val=0) -> dict:
    """Windows for the train, validation and test parts of a series, with no target leaking backwards.

    The parts are those of ``chronological_split``. A window belongs to the part that holds its *last*
    target; a train window's targets all lie in the train part, so none is at or after the first
    validation or test step. Later parts' windows may read earlier parts' values as inputs.

    Returns:
        ``{"train": (inputs, targets), "val": ..., "test": ...}``.
    """
    array = _as_2d(series)
    split = chronological_split(len(array), test, val)
    windows = {}
    for name, part in zip(("train", "val", "test"), split):
        # the targets of window s are s+W .. s+W+K-1; keep those whose targets all lie in [part.start, part.stop)
        inputs, targets = sliding_windows(array[: part.stop], window, horizon, targets_from=part.start)
        windows[name] = (inputs, targets)
    return windows


class Standardizer:
    """Scale to zero mean and unit variance with statistics of the training data only.

    >>> scaler = Standardizer().fit(np.array([1.0, 2.0, 3.0]))
    >>> scaler.transform(np.array([2.0, 4.0])).round(3).tolist(), scaler.inverse(np.array([0.0])).tolist()
    ([0.0, 2.449], [2.0])
    """

    def __init__(self):
        self.mean = self.std = None

    def fit(self, train) -> "Standardizer":
        array = _as_2d(train)
        self.mean = array.mean(axis=0)
        self.std = array.std(axis=0)
        self.std[self.std == 0] = 1.0  # a constant feature stays as it is, shifted
        return self

    def _check(self) -> None:
        if self.mean is None:
            raise RuntimeError("call fit on the training data before transform or inverse")

    def transform(self, values) -> np.ndarray:
        """``values`` of shape (..., D), or (N,) for one feature, scaled."""
        self._check()
        return (np.asarray(values, dtype=float) - self.mean) / self.std

    def inverse(self, values) -> np.ndarray:
        """Undo ``transform``: forecasts back in the series' own unit."""
        self._check()
        return np.asarray(values, dtype=float) * self.std + self.mean
