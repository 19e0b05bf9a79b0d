"""The Elman RNN in PyTorch: its step, ``RNNCell`` and ``RNN``, drop-in
replacements for ``torch.nn.RNNCell`` and ``torch.nn.RNN``.

For each element of the input sequence, each layer computes
(book/rnn.md#eq-rnn)::

    h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

where h_t is the hidden state at time t, x_t the input at time t (for layer
k > 0, the output h_t of layer k - 1, dropped out in training if
``dropout > 0``), h_0 the initial state, and phi is tanh, or ReLU with
``nonlinearity='relu'``. Written from the equation in the parameter layout of
``torch.nn``, with autograd for the backward pass; the NumPy reference
``lstm_course.numpy_ref.rnn`` holds the hand-written one
(book/bptt.md), and the tests check that the three agree.

Parameters of ``RNN`` (those of ``RNNCell`` drop the ``_l[k]`` suffix and
have k = 0), with H = ``hidden_size``, D = ``input_size``, S = 2 if
bidirectional else 1 (book/notation.md#notation-torch-names):

=================  ==========  ========================================
name               block       shape
=================  ==========  ========================================
``weight_ih_l[k]`` ``W_ih``    (H, D) for k = 0, else (H, S*H)
``weight_hh_l[k]`` ``W_hh``    (H, H)
``bias_ih_l[k]``   ``b_ih``    (H,)
``bias_hh_l[k]``   ``b_hh``    (H,)
=================  ==========  ========================================

with ``_reverse`` appended for the backward direction. All are drawn from
U(-1/sqrt(H), 1/sqrt(H)), as in ``torch.nn``.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ._cell_base import _CellBase
from ._checks import check_nonlinearity, refuse_projection
from ._layer_base import _RecurrentLayers

__all__ = ["rnn_step", "RNNCell", "RNN"]


def rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, nonlinearity: str = "tanh") -> Tensor:
    """``h' = phi(xw + W_hh h)``; xw (B, H) = ``W_ih x + b_ih + b_hh``, h (B, H) -> (B, H).

    The input projection comes computed, for every step at once before the
    loop, with both biases (only their sum matters), so a step is one ``addmm``.
    """
    a = torch.addmm(xw, h, w_hh.t())
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


class RNNCell(_CellBase):
    """An Elman RNN cell, like ``torch.nn.RNNCell``: ``h' = phi(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input_size: D. hidden_size: H. bias: with ``b_ih`` and ``b_hh``.
        nonlinearity: ``'tanh'`` or ``'relu'``. device, dtype: of the parameters.

    Inputs: ``input`` (B, D) or unbatched (D,); ``hx`` (B, H) or (H,), zeros if None.
    Outputs: ``h'`` (B, H) or (H,).

    >>> cell = RNNCell(3, 5)
    >>> cell(torch.randn(2, 3)).shape
    torch.Size([2, 5])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, unbatched = self._prepare(input, (hx,))
        h = self._state("hx", 0, hx, x, unbatched)
        h = rnn_step(self._input_projection(x, both_biases=True), h, self.weight_hh, self.nonlinearity)
        return h.squeeze(0) if unbatched else h


class RNN(_RecurrentLayers):
    """Elman RNN layers, like ``torch.nn.RNN``: ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    Inputs: ``input`` (T, B, D), (B, T, D) if ``batch_first``, (T, D)
    unbatched, or a ``PackedSequence``; ``hx`` (L*S, B, H), zeros if None.

    Outputs: ``output`` (T, B, S*H), the last layer's h_t for every t, in the
    layout of ``input``; ``h_n`` (L*S, B, H), every layer's final state.

    >>> rnn = RNN(3, 5, num_layers=2)
    >>> output, h_n = rnn(torch.randn(7, 4, 3))
    >>> output.shape, h_n.shape
    (torch.Size([7, 4, 5]), torch.Size([2, 4, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, **kwargs):
        refuse_projection("RNN", kwargs)
        self.nonlinearity = check_nonlinearity(nonlinearity)
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _step(self, w_hh, b_hh, w_hr):
        return lambda xw, h: (rnn_step(xw, h, w_hh, self.nonlinearity),)
