"""Stacked LSTM layers with residual connections (Wu et al. 2016, GNMT).

Wu et al. (2016), "Google's neural machine translation system" (arXiv:1609.08144),
§3.1: a deep stack of LSTM layers trains poorly, so the input of each layer
is added to its output before it is passed up. With ``h^k_t`` the hidden state
of layer k (k = 1, ..., L) and ``x^0_t = x_t``::

    h^k_t = LSTM_k(x^{k-1}_t, h^k_{t-1}, c^k_{t-1})
    x^k_t = h^k_t + x^{k-1}_t        (residual layers)
    x^k_t = h^k_t                    (the first layer, whose input has D != H features)

and the stack outputs ``x^L_t``. The recurrence of each layer still runs on its
own ``h^k``; only what is passed up changes. Without residual connections
(``residual=False``) this is ``LSTM(input_size, hidden_size, num_layers)``.
GNMT adds the residual connections from the third layer up, in an 8-layer
stack; here every layer but the first has one.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``,
L = ``num_layers``. Time-major only: input (T, B, D).

Taught in the book's chapter "Deep and bidirectional networks", book/deep_rnns.md#eq-var-residual.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ._checks import check_positive_int
from .lstm import LSTM

__all__ = ["ResidualLSTM"]


class ResidualLSTM(nn.Module):
    """L single-layer :class:`~lstm_course.nn.LSTM` modules, stacked, with residual connections.

    Args:
        input_size: D. hidden_size: H. num_layers: L.
        residual: add each layer's input to its output (every layer but the
            first); False gives a plain stack.
        device, dtype: of the parameters.

    Parameters:
        ``layers[k].weight_ih_l0`` ((4H, D) for k = 0, else (4H, H)),
        ``layers[k].weight_hh_l0`` (4H, H), ``layers[k].bias_ih_l0``,
        ``layers[k].bias_hh_l0`` (4H,): those of ``torch.nn.LSTM``'s layer k.

    Shapes:
        input: (T, B, D). hx: ``(h_0, c_0)``, each (L, B, H), or None for zeros.
        output: (T, B, H), ``x^L_t`` for every t; h_n, c_n: (L, B, H).

    >>> _ = torch.manual_seed(0)
    >>> stack = ResidualLSTM(3, 8, num_layers=4)
    >>> output, (h_n, c_n) = stack(torch.randn(5, 2, 3))
    >>> output.shape, h_n.shape
    (torch.Size([5, 2, 8]), torch.Size([4, 2, 8]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 2, residual: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        check_positive_int("num_layers", num_layers)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.residual = bool(residual)
        self.layers = nn.ModuleList(
            LSTM(input_size if k == 0 else hidden_size, hidden_size, device=device, dtype=dtype)
            for k in range(num_layers)
        )

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, residual={self.residual}"

    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None):
        """Run the stack; returns ``(output, (h_n, c_n))`` (shapes above)."""
        if input.dim() != 3:
            raise ValueError(f"ResidualLSTM: expected a time-major input (T, B, D), got shape {tuple(input.shape)}")
        x = input
        h_n, c_n = [], []
        for k, layer in enumerate(self.layers):
            state = None if hx is None else (hx[0][k : k + 1], hx[1][k : k + 1])
            h, (h_last, c_last) = layer(x, state)  # h: (T, B, H), the layer's own hidden states
            x = h + x if self.residual and k > 0 else h  # x^k = h^k + x^{k-1}
            h_n.append(h_last[0])
            c_n.append(c_last[0])
        return x, (torch.stack(h_n), torch.stack(c_n))
