"""Two LSTM variants from Greff et al. (2017): peepholes, and coupled gates.

Greff, Srivastava, Koutník, Steunebrink & Schmidhuber (2017), "LSTM: A search
space odyssey" (IEEE TNNLS 28(10)), compare eight variants of one "vanilla"
LSTM: the LSTM with forget gate and peephole connections of Gers,
Schraudolph & Schmidhuber (2002), ``PeepholeLSTM`` here. One of the few
changes that cost nothing in accuracy and save parameters is to couple the
input and forget gates (CIFG), ``CoupledLSTM`` here.

Both are written from their equations in the layout of ``torch.nn.LSTM``
(``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, gate blocks stacked
by rows), with autograd for the backward pass. ``PeepholeLSTM`` matches the
NumPy reference ``lstm_course.numpy_ref.peephole_lstm_forward``, and with its
peepholes at zero it is ``torch.nn.LSTM``.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``.

Taught in the book's chapter "LSTM variants": the peephole LSTM at
book/variants.md#eq-var-peephole, the coupled gates at book/variants.md#eq-var-cifg.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._lstm_base import LSTMBase

__all__ = ["PeepholeLSTM", "CoupledLSTM"]


class PeepholeLSTM(LSTMBase):
    r"""LSTM with peephole connections (Gers, Schraudolph & Schmidhuber 2002,
    "Learning precise timing with LSTM recurrent networks", JMLR 3).

    The gates also see the cell state, through diagonal weights: the input and
    forget gates see the previous one, the output gate the new one, since it
    acts after the update::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi + w_ci * c_{t-1})
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf + w_cf * c_{t-1})
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho + w_co * c_t)
        h_t = o_t * tanh(c_t)

    ``*`` is the elementwise product. With ``w_ci = w_cf = w_co = 0`` this is
    ``torch.nn.LSTM``.

    Args:
        input_size: D. hidden_size: H.
        bias: if False, no ``bias_ih``, ``bias_hh``.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        device, dtype: of the parameters.

    Parameters:
        weight_ih (4H, D) = ``(W_ii|W_if|W_ig|W_io)``, weight_hh (4H, H),
        bias_ih (4H,), bias_hh (4H,), as in ``torch.nn.LSTM``;
        weight_ci, weight_cf, weight_co (H,): the peephole vectors.
        All drawn from U(-1/sqrt(H), 1/sqrt(H)).

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)), h_t for every t.
        h_n, c_n: (1, B, H).

    >>> lstm = PeepholeLSTM(3, 5)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 2, 3))
    >>> output.shape, h_n.shape, lstm.weight_co.shape
    (torch.Size([7, 2, 5]), torch.Size([1, 2, 5]), torch.Size([5]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        factory = {"device": device, "dtype": dtype}
        self.weight_ci = nn.Parameter(torch.empty(hidden_size, **factory))
        self.weight_cf = nn.Parameter(torch.empty(hidden_size, **factory))
        self.weight_co = nn.Parameter(torch.empty(hidden_size, **factory))
        self.reset_parameters()

    def forward(self, input: Tensor, hx=None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        xw = self._input_projection(x)  # (T, B, 4H)
        outputs = []
        for xw_t in xw:
            a_i, a_f, a_g, a_o = torch.addmm(xw_t, h, self.weight_hh.t()).chunk(4, 1)  # each (B, H)
            i = torch.sigmoid(a_i + self.weight_ci * c)
            f = torch.sigmoid(a_f + self.weight_cf * c)
            c = f * c + i * torch.tanh(a_g)
            o = torch.sigmoid(a_o + self.weight_co * c)  # c is already c_t here
            h = o * torch.tanh(c)
            outputs.append(h)
        return self._finish(outputs, h, c)


class CoupledLSTM(LSTMBase):
    r"""LSTM with coupled input and forget gates, "CIFG" (Greff et al. 2017,
    "LSTM: A search space odyssey").

    The forget gate is the complement of the input gate, ``f_t = 1 - i_t``, so
    the cell state is a gated average of its old value and the candidate, as
    in the GRU. Three gate blocks instead of four::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = (1 - i_t) * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Greff et al. couple the gates of their vanilla LSTM, which also has
    peepholes; this one has none, so that it differs from ``torch.nn.LSTM``
    by the coupling alone.

    Args:
        input_size: D. hidden_size: H.
        bias: if False, no ``bias_ih``, ``bias_hh``.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        device, dtype: of the parameters.

    Parameters:
        weight_ih (3H, D) = ``(W_ii|W_ig|W_io)``, weight_hh (3H, H),
        bias_ih (3H,), bias_hh (3H,): gate order i, g, o. All drawn from
        U(-1/sqrt(H), 1/sqrt(H)).

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = CoupledLSTM(3, 5, batch_first=True)
    >>> output, (h_n, c_n) = lstm(torch.randn(2, 7, 3))
    >>> output.shape, lstm.weight_ih.shape
    (torch.Size([2, 7, 5]), torch.Size([15, 3]))
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        self.reset_parameters()

    def forward(self, input: Tensor, hx=None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        xw = self._input_projection(x)  # (T, B, 3H)
        outputs = []
        for xw_t in xw:
            a_i, a_g, a_o = torch.addmm(xw_t, h, self.weight_hh.t()).chunk(3, 1)  # each (B, H)
            i = torch.sigmoid(a_i)
            c = (1 - i) * c + i * torch.tanh(a_g)
            h = torch.sigmoid(a_o) * torch.tanh(c)
            outputs.append(h)
        return self._finish(outputs, h, c)
