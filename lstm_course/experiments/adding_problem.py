"""The adding problem of Hochreiter & Schmidhuber (1997), a long-lag benchmark.

Experiment 4 of the LSTM paper. Every step of a sequence is a pair
``(value, marker)``: the value is drawn uniformly from [-1, 1], the marker is
1.0 at exactly two steps, -1.0 at the first and the last step (unless one of
them is marked) and 0.0 elsewhere. One marked step is among the first ten,
the other among the first ``T/2 - 1`` still unmarked steps of the first half.
After the last step the network outputs the sum of the two marked values
scaled to [0, 1], ``0.5 + (X1 + X2) / 4``; a sequence counts as processed
correctly when the absolute error is below 0.04. Since both marked values
come in the first half of the sequence, the network must hold them for at
least ``T/2`` steps, and the first one for at least ``T - 10``.

Unlike the paper, every sequence of a batch has the same length ``T``
(the paper draws lengths between T and T + T/10), so that a batch is one
tensor.

Dimensions: T time steps, B batch. Inputs are time-major, (T, B, 2).

Taught in the book's chapter on long short-term memory.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor, nn

from ..nn import LSTM, RNN

FEATURES = 2  # (value, marker)
TOLERANCE = 0.04  # a sequence is processed correctly when |output - target| < TOLERANCE
FIRST_MARKER_WITHIN = 10  # the first marked step is one of the first ten


def adding_problem(batch: int, steps: int, *, generator: Optional[torch.Generator] = None,
                   dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """Draw ``batch`` sequences of the adding problem.

    Args:
        batch: number of sequences B.
        steps: sequence length T, at least 22 (so that the first half has
            room for both markers).
        generator: the torch generator to draw from; None uses torch's
            global one.
        dtype: floating-point type of the returned tensors.

    Returns:
        x: (T, B, 2) inputs; ``x[..., 0]`` the values, ``x[..., 1]`` the markers.
        y: (B, 1) targets ``0.5 + (X1 + X2) / 4``, in [0, 1].

    >>> x, y = adding_problem(3, 30, generator=torch.Generator().manual_seed(0))
    >>> x.shape, y.shape
    (torch.Size([30, 3, 2]), torch.Size([3, 1]))
    >>> bool(((x[..., 1] == 1).sum(0) == 2).all())
    True
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1; got {batch!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2 * (FIRST_MARKER_WITHIN + 1):
        raise ValueError(f"steps must be an integer >= {2 * (FIRST_MARKER_WITHIN + 1)}; got {steps!r}")
    values = torch.rand(steps, batch, generator=generator, dtype=dtype) * 2 - 1  # U[-1, 1]
    markers = torch.zeros(steps, batch, dtype=dtype)
    markers[0] = markers[-1] = -1.0
    rows = torch.arange(batch)
    first = torch.randint(0, FIRST_MARKER_WITHIN, (batch,), generator=generator)
    # The second marker: one of the T/2 - 1 steps of the first half other than `first`.
    # Draw from T/2 - 1 slots and skip over `first`.
    second = torch.randint(0, steps // 2 - 1, (batch,), generator=generator)
    second = second + (second >= first).long()
    markers[first, rows] = 1.0
    markers[second, rows] = 1.0
    values[0, markers[0] == 1.0] = 0.0  # the paper sets X to zero when the first step is marked
    marked = (markers == 1.0).to(dtype)
    y = 0.5 + (values * marked).sum(0, keepdim=True).T / 4  # (B, 1)
    return torch.stack([values, markers], dim=-1), y


def epoch_batches(batches: int, batch_size: int, steps: int, *, seed: int = 0) -> Callable[[int], list]:
    """Fresh training data for every epoch, as ``fit(train_batches=...)`` takes it.

    Args:
        batches: number of batches (optimiser steps) per epoch.
        batch_size, steps: B and T of every batch.
        seed: epoch ``e`` draws from a generator seeded with ``seed + e``, so
            a run is reproducible and no sequence is seen twice.

    Returns:
        A function ``epoch -> [(x, y), ...]``, ``batches`` pairs of :func:`adding_problem`.
    """
    def draw(epoch: int) -> list:
        generator = torch.Generator().manual_seed(seed + epoch)
        return [adding_problem(batch_size, steps, generator=generator) for _ in range(batches)]

    return draw


class LastStepRegressor(nn.Module):
    """A recurrent layer read out once, after the last step: ``y = W h_T + b``.

    Args:
        cell: ``"lstm"`` (:class:`lstm_course.nn.LSTM`) or ``"rnn"``
            (:class:`lstm_course.nn.RNN`, tanh).
        hidden_size: H.
        forget_bias: added to the forget-gate biases of the LSTM after the
            default initialisation (``bias_ih`` receives it, so the sum
            ``b_if + b_hf`` grows by this amount); 0 keeps PyTorch's
            initialisation. Not allowed for the RNN.

    ``forward(x)``: x (T, B, 2) -> (B, 1).

    >>> _ = torch.manual_seed(0)
    >>> model = LastStepRegressor("lstm", 8)
    >>> model(torch.zeros(25, 4, FEATURES)).shape
    torch.Size([4, 1])
    """

    def __init__(self, cell: str, hidden_size: int, *, forget_bias: float = 0.0) -> None:
        super().__init__()
        if cell not in ("lstm", "rnn"):
            raise ValueError(f"cell must be 'lstm' or 'rnn'; got {cell!r}")
        if cell == "rnn" and forget_bias:
            raise ValueError("forget_bias applies to the LSTM only; the RNN has no forget gate")
        layer = LSTM if cell == "lstm" else RNN
        self.recurrent = layer(FEATURES, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)
        if forget_bias:
            with torch.no_grad():
                self.recurrent.bias_ih_l0[hidden_size : 2 * hidden_size] += forget_bias  # block f of i, f, g, o

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.recurrent(x)  # (T, B, H)
        return self.readout(output[-1])  # (B, 1)


def fraction_correct(outputs: Tensor, targets: Tensor) -> Tensor:
    """The share of sequences with ``|output - target| < 0.04``, the paper's criterion.

    >>> fraction_correct(torch.tensor([[0.50], [0.60]]), torch.tensor([[0.52], [0.50]]))
    tensor(0.5000)
    """
    return ((outputs - targets).abs() < TOLERANCE).float().mean()
