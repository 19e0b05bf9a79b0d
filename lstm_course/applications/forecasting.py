"""Forecasting a series with an LSTM, and the baselines it must beat to be worth its cost.

Baselines, on windows ``inputs (M, W)`` of past values (one feature):

``naive_forecast``
    the last value: tomorrow is like today.
``seasonal_naive_forecast``
    the value one season ago.
``fit_autoregressive`` / ``autoregressive_forecast``
    a linear autoregression of order p, ``y = c + sum_k a_k y_{-k}``, fitted
    by least squares: the model Yule (1927) invented for the sunspot numbers.

The LSTM: ``train_forecaster`` trains a ``lstm_course.nn.heads.Forecaster``
(LSTM -> linear, many-to-one) on standardised windows with Adam, clipping
and early stopping on the validation windows; ``ForecastConfig`` holds every
setting, and ``ForecastConfig.for_gpu()`` the larger run for a GPU.

Multi-step forecasts (``recursive_forecast``) feed each forecast back as the
next input. ``interval_half_width`` turns validation residuals into a
prediction interval (the split-conformal recipe: a quantile of the absolute
residuals on data the model was not fitted to).

Taught in the book's chapter "Forecasting a time series" (``book/forecasting.md``).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np
import torch

from ..nn.heads import Forecaster
from ..train import TrainConfig, fit, seed_everything

__all__ = ["ForecastConfig", "autoregressive_forecast", "fit_autoregressive", "interval_half_width", "mae",
           "naive_forecast", "predict", "recursive_forecast", "rmse", "seasonal_naive_forecast",
           "train_forecaster"]


def _windows(inputs) -> np.ndarray:
    inputs = np.asarray(inputs, dtype=float)
    if inputs.ndim == 3 and inputs.shape[2] == 1:
        inputs = inputs[:, :, 0]
    if inputs.ndim != 2 or inputs.shape[1] == 0:
        raise ValueError(f"inputs must be windows of one feature, (M, W) or (M, W, 1); got {inputs.shape}")
    return inputs


def naive_forecast(inputs) -> np.ndarray:
    """(M,) the last value of each window."""
    return _windows(inputs)[:, -1]


def seasonal_naive_forecast(inputs, season: int) -> np.ndarray:
    """(M,) the value one ``season`` before the forecast step: ``inputs[:, W - season]``."""
    inputs = _windows(inputs)
    if isinstance(season, bool) or not isinstance(season, int) or not 1 <= season <= inputs.shape[1]:
        raise ValueError(f"season must be an integer in [1, W={inputs.shape[1]}], got {season!r}")
    return inputs[:, -season]


def fit_autoregressive(inputs, targets, order: int) -> np.ndarray:
    """Least-squares coefficients ``(a_1 .. a_p, c)`` of ``y = c + sum_k a_k y_{t-k}`` on the windows' last p values.

    >>> x = np.array([[1.0, 2.0], [2.0, 4.0], [4.0, 8.0]])
    >>> a, c = fit_autoregressive(x, [4.0, 8.0, 16.0], order=1)  # y = 2 y_{t-1}
    >>> round(float(a), 6), abs(round(float(c), 6))
    (2.0, 0.0)
    """
    inputs = _windows(inputs)
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= inputs.shape[1]:
        raise ValueError(f"order must be an integer in [1, W={inputs.shape[1]}], got {order!r}")
    design = np.column_stack([inputs[:, ::-1][:, :order], np.ones(len(inputs))])
    coefficients, *_ = np.linalg.lstsq(design, np.asarray(targets, dtype=float).reshape(-1), rcond=None)
    return coefficients


def autoregressive_forecast(coefficients, inputs) -> np.ndarray:
    """(M,) the autoregression's forecast from each window."""
    inputs = _windows(inputs)
    order = len(coefficients) - 1
    return inputs[:, ::-1][:, :order] @ coefficients[:order] + coefficients[order]


def mae(forecast, actual) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float))))


def rmse(forecast, actual) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float)) ** 2)))


@dataclasses.dataclass(frozen=True)
class ForecastConfig:
    """Settings of ``train_forecaster``; the defaults train in seconds on two CPU cores."""

    hidden_size: int = 32
    num_layers: int = 1
    epochs: int = 150
    batch_size: int = 32
    lr: float = 1e-2
    clip_grad_norm: float = 1.0
    patience: int = 30  # epochs without a better validation loss before stopping
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "ForecastConfig":
        """A larger run for a GPU: two layers of 128 units, more epochs, more patience."""
        return dataclasses.replace(cls(hidden_size=128, num_layers=2, epochs=600, patience=100), **changes)


def train_forecaster(train: tuple, val: tuple, config: ForecastConfig = ForecastConfig(), *,
                     device: Optional[torch.device] = None):
    """Train a many-to-one ``Forecaster`` on standardised windows; return it (best epoch) and its history.

    Args:
        train, val: ``(inputs (M, W, 1), targets (M, 1, 1))`` from ``lstm_course.data.split_windows``.
        config: every setting of the run.
        device: where to train; None keeps the CPU.
    """
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    model = Forecaster(1, config.hidden_size, num_layers=config.num_layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    inputs, targets = (torch.as_tensor(a, dtype=torch.float32, device=device) for a in train)
    targets = targets.reshape(len(targets), -1)
    val_batches = [tuple(torch.as_tensor(a, dtype=torch.float32, device=device).reshape(len(a), *s)
                         for a, s in ((val[0], (-1, 1)), (val[1], (-1,))))]
    generator = torch.Generator().manual_seed(config.seed)

    def batches(epoch: int) -> list:
        order = torch.randperm(len(inputs), generator=generator).to(device)
        return [(inputs[i], targets[i]) for i in order.split(config.batch_size)]

    history = fit(model, batches, optimizer=optimizer, loss_fn=torch.nn.MSELoss(), val_batches=val_batches,
                  config=TrainConfig(epochs=config.epochs, clip_grad_norm=config.clip_grad_norm,
                                     patience=config.patience, monitor="val_loss", progress=False))
    return model, history


def predict(model: torch.nn.Module, inputs) -> np.ndarray:
    """(M,) the model's one-step forecasts from windows (M, W, 1), on the model's device."""
    device = next(model.parameters()).device
    with torch.no_grad():
        model.eval()
        return model(torch.as_tensor(np.asarray(inputs), dtype=torch.float32, device=device))[:, 0].cpu().numpy()


def recursive_forecast(step: Callable[[np.ndarray], np.ndarray], window, steps: int) -> np.ndarray:
    """Forecast ``steps`` values ahead by feeding each one-step forecast back as the newest input.

    Args:
        step: ``step(inputs (M, W)) -> (M,)``, a one-step forecaster of windows.
        window: (M, W) the last W known values of M series (or one series, (W,)).

    Returns:
        (M, steps) forecasts; errors compound, since later inputs are earlier forecasts.

    >>> recursive_forecast(lambda x: x[:, -1] + 1, np.array([[0.0, 1.0]]), 3).tolist()
    [[2.0, 3.0, 4.0]]
    """
    window = np.atleast_2d(np.asarray(window, dtype=float)).copy()
    forecasts = np.empty((len(window), steps))
    for k in range(steps):
        forecasts[:, k] = step(window)
        window = np.column_stack([window[:, 1:], forecasts[:, k]])
    return forecasts


def interval_half_width(residuals, coverage: float = 0.9) -> float:
    """Half-width of a prediction interval ``forecast +- w`` that held ``coverage`` of ``residuals``.

    ``residuals`` are forecast errors on data the model was not fitted to (the validation windows):
    the split-conformal interval, which covers new data at about ``coverage`` when errors are alike
    over time.

    >>> interval_half_width([1.0, -2.0, 3.0, -4.0], coverage=0.5)
    2.5
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    return float(np.quantile(np.abs(np.asarray(residuals, dtype=float)), coverage))
