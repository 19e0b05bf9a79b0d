"""The GRU in PyTorch: its step, ``GRUCell`` and ``GRU``, drop-in replacements
for ``torch.nn.GRUCell`` and ``torch.nn.GRU``.

For each element of the input sequence, each layer computes
(book/notation.md#eq-gru-gates, book/gru.md#eq-gru-candidate-after,
book/gru.md#eq-gru-interpolation)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

where r_t, z_t, n_t are the reset gate, the update gate and the new state,
x_t the input at time t (for layer k > 0, the output h_t of layer k - 1,
dropped out in training if ``dropout > 0``), and * the element-wise product.
The reset gate multiplies the recurrent term *after* the matrix product, the
form of cuDNN and ``torch.nn`` (Cho et al. 2014 reset before it,
book/gru.md#eq-gru-candidate-before). Autograd provides the backward pass; the
NumPy reference ``lstm_course.numpy_ref.gru`` holds the hand-written one
(book/gru.md#eq-gru-bptt-h), and the tests check that the three agree.

Parameters of ``GRU`` (those of ``GRUCell`` drop the ``_l[k]`` suffix and
have k = 0), with H = ``hidden_size``, D = ``input_size``, S = 2 if
bidirectional else 1 (book/notation.md#notation-torch-names):

=================  ======================  ====================================
name               blocks                  shape
=================  ======================  ====================================
``weight_ih_l[k]`` ``(W_ir|W_iz|W_in)``    (3H, D) for k = 0, else (3H, S*H)
``weight_hh_l[k]`` ``(W_hr|W_hz|W_hn)``    (3H, H)
``bias_ih_l[k]``   ``(b_ir|b_iz|b_in)``    (3H,)
``bias_hh_l[k]``   ``(b_hr|b_hz|b_hn)``    (3H,)
=================  ======================  ====================================

with ``_reverse`` appended for the backward direction. All are drawn from
U(-1/sqrt(H), 1/sqrt(H)), as in ``torch.nn``.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from ._cell_base import _CellBase
from ._checks import refuse_projection
from ._layer_base import _RecurrentLayers

__all__ = ["gru_step", "GRUCell", "GRU"]


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    """One GRU step, reset gate after the matrix product (torch/cuDNN form).

    ``xw`` (B, 3H) = ``W_ih x + b_ih`` (r, z, n); h (B, H) -> (B, H). Unlike
    the RNN's and the LSTM's, the input projection leaves ``b_hh`` out, since
    the reset gate multiplies ``W_hn h + b_hn``::

        r = sigmoid(xw_r + W_hr h + b_hr),  z = sigmoid(xw_z + W_hz h + b_hz)
        n = tanh(xw_n + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
    """
    hw = F.linear(h, w_hh, b_hh)
    x_r, x_z, x_n = xw.chunk(3, 1)
    h_r, h_z, h_n = hw.chunk(3, 1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return n + z * (h - n)


class GRUCell(_CellBase):
    """A GRU cell, like ``torch.nn.GRUCell`` (gate order r, z, n; see ``gru_step``).

    Args:
        input_size: D. hidden_size: H. bias: with ``b_ih`` and ``b_hh``.
        device, dtype: of the parameters.

    Inputs: ``input`` (B, D) or unbatched (D,); ``hx`` (B, H) or (H,), zeros if None.
    Outputs: ``h'`` (B, H) or (H,).

    >>> GRUCell(3, 5)(torch.randn(2, 3)).shape
    torch.Size([2, 5])
    """

    gates = 3

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, unbatched = self._prepare(input, (hx,))
        h = self._state("hx", 0, hx, x, unbatched)
        h = gru_step(self._input_projection(x, both_biases=False), h, self.weight_hh, self.bias_hh)
        return h.squeeze(0) if unbatched else h


class GRU(_RecurrentLayers):
    """GRU layers, like ``torch.nn.GRU`` (gate order r, z, n, reset after the
    matrix product; see ``gru_step``).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    Inputs: ``input`` (T, B, D), (B, T, D) if ``batch_first``, (T, D)
    unbatched, or a ``PackedSequence``; ``hx`` (L*S, B, H), zeros if None.

    Outputs: ``output`` (T, B, S*H), the last layer's h_t for every t, in the
    layout of ``input``; ``h_n`` (L*S, B, H), every layer's final state.

    >>> output, h_n = GRU(3, 5, batch_first=True)(torch.randn(4, 7, 3))
    >>> output.shape, h_n.shape
    (torch.Size([4, 7, 5]), torch.Size([1, 4, 5]))
    """

    gates = 3
    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, **kwargs):
        refuse_projection("GRU", kwargs)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _projection_bias(self, b_ih, b_hh):
        return b_ih

    def _step(self, w_hh, b_hh, w_hr):
        return lambda xw, h: (gru_step(xw, h, w_hh, b_hh),)
