"""An LSTM or a GRU read out after the last step, for comparing the two on one task.

The "keep" gate of each unit decides how much of the old state survives a
step: the forget gate ``f_t`` of the LSTM (``c_t = f_t * c_{t-1} + ...``) and
the update gate ``z_t`` of the GRU (``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``,
in the convention of ``torch.nn.GRU``). Both sit in the second block of H
rows of the stacked weights (gate orders i, f, g, o and r, z, n), so one
argument, ``keep_bias``, shifts either gate towards keeping the state at the
start of training.

Dimensions: T time steps, B batch, D input features (2 for the adding
problem), H hidden units. Inputs are time-major, (T, B, D).

Taught in the book's chapter on gated recurrent units.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..nn import GRU, LSTM
from .adding_problem import FEATURES

KEEP_BLOCK = 1  # forget gate f of (i, f, g, o); update gate z of (r, z, n)


class GatedRegressor(nn.Module):
    """A recurrent layer of :mod:`lstm_course.nn` and a linear readout of ``h_T``: ``y = W h_T + b``.

    Args:
        cell: ``"lstm"`` (:class:`lstm_course.nn.LSTM`) or ``"gru"``
            (:class:`lstm_course.nn.GRU`).
        hidden_size: H.
        keep_bias: added to the biases of the keep gate (the LSTM's forget
            gate, the GRU's update gate) after PyTorch's initialisation;
            ``bias_ih`` receives it, so ``b_if + b_hf`` or ``b_iz + b_hz``
            grows by this amount. 0 keeps PyTorch's initialisation.
        input_size: D, 2 (value, marker) for the adding problem.

    ``forward(x)``: x (T, B, D) -> (B, 1).

    >>> _ = torch.manual_seed(0)
    >>> model = GatedRegressor("gru", 8, keep_bias=3.0)
    >>> model(torch.zeros(25, 4, FEATURES)).shape
    torch.Size([4, 1])
    >>> model.recurrent.weight_hh_l0.shape  # three blocks r, z, n
    torch.Size([24, 8])
    """

    def __init__(self, cell: str, hidden_size: int, *, keep_bias: float = 0.0, input_size: int = FEATURES) -> None:
        super().__init__()
        layers = {"lstm": LSTM, "gru": GRU}
        if cell not in layers:
            raise ValueError(f"cell must be 'lstm' or 'gru'; got {cell!r}")
        self.cell = cell
        self.recurrent = layers[cell](input_size, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)
        if keep_bias:
            rows = slice(KEEP_BLOCK * hidden_size, (KEEP_BLOCK + 1) * hidden_size)
            with torch.no_grad():
                self.recurrent.bias_ih_l0[rows] += keep_bias

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.recurrent(x)  # (T, B, H)
        return self.readout(output[-1])  # (B, 1)

