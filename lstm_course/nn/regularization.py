"""Three ways to regularise an LSTM's recurrence: variational dropout, weight drop, zoneout.

Ordinary dropout with a fresh mask at every step, applied to the recurrent
state, erases the memory the LSTM is meant to keep; these three methods
perturb the recurrence without that flaw:

- ``VariationalLSTM`` (Gal & Ghahramani 2016): one dropout mask per sequence,
  kept for every time step, on the inputs and on the recurrent state h_{t-1}.
- ``WeightDropLSTM`` (Merity, Keskar & Socher 2018): DropConnect on the
  recurrent weight matrix W_hh, one mask per forward pass.
- ``ZoneoutLSTM`` (Krueger et al. 2017): each unit keeps its previous value
  with some probability, instead of being set to zero.

Each is the LSTM of ``torch.nn.LSTM`` (same parameters, gate order i, f, g,
o; the step is ``lstm.lstm_step``) plus its perturbation, active in training
mode only. In eval mode dropout and weight drop switch off (masks are scaled
by 1/(1-p) in training, so the expected activations already match), and
zoneout uses its expectation. The masks come from ``generator`` (a
``torch.Generator`` on the device of the input) if one is passed to
``forward``, else from torch's global generator.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``.

Taught in the book's chapter "Regularisation and normalisation":
variational dropout at book/training_regularisation.md#eq-train-variational,
weight drop at book/training_regularisation.md#eq-train-weight-drop, zoneout at
book/training_regularisation.md#eq-train-zoneout.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ._checks import check_rate
from ._lstm_base import LSTMBase
from .lstm import lstm_step

__all__ = ["VariationalLSTM", "WeightDropLSTM", "ZoneoutLSTM", "dropout_mask"]


def dropout_mask(shape: tuple, p: float, like: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """An inverted-dropout mask: each entry is 0 with probability ``p``, else 1/(1-p).

    The scaling keeps the expectation of ``mask * x`` equal to ``x``, so that
    nothing needs rescaling at evaluation. With ``p = 1`` every entry is 0.

    Args:
        shape: of the mask. p: drop probability in [0, 1].
        like: tensor whose device and dtype the mask takes.
        generator: optional ``torch.Generator`` on that device.
    """
    keep = 1.0 - p
    mask = torch.empty(shape, device=like.device, dtype=like.dtype).bernoulli_(keep, generator=generator)
    return mask / keep if keep > 0 else mask


class VariationalLSTM(LSTMBase):
    r"""LSTM with variational (time-locked) dropout, Gal & Ghahramani (2016),
    "A theoretically grounded application of dropout in recurrent neural networks" (NeurIPS).

    In training mode, masks ``m_x`` (B, D) and ``m_h`` (B, H) are drawn once per
    forward pass, one row per sequence, and used at every time step::

        a_t = W_ih (m_x * x_t) + b_ih + W_hh (m_h * h_{t-1}) + b_hh
        (then the LSTM step of torch.nn.LSTM: gates i, f, g, o, c_t, h_t)

    Only the LSTM's inputs are masked: the returned h_t are not. The same mask
    serves all four gates (the paper's variant with tied weights; its untied
    variant draws one mask per gate). In eval mode, or with both rates 0, this is
    ``torch.nn.LSTM``.

    Args:
        input_size: D. hidden_size: H. bias, batch_first, device, dtype: as in ``torch.nn.LSTM``.
        dropout_input: probability of dropping an input feature (for a whole sequence).
        dropout_hidden: probability of dropping a unit of h_{t-1} (for a whole sequence).

    Parameters: those of ``torch.nn.LSTM`` (one layer), drawn from U(-1/sqrt(H), 1/sqrt(H)).

    Attributes:
        input_mask: (B, D), hidden_mask: (B, H): the scaled masks (entries 0 or
        1/(1-p)) of the last training-mode forward pass, or None where no mask
        was drawn (eval mode, or a rate of 0).

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = VariationalLSTM(3, 5, dropout_input=0.5, dropout_hidden=0.25)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 2, 3))
    >>> lstm.input_mask.shape, lstm.hidden_mask.shape
    (torch.Size([2, 3]), torch.Size([2, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 dropout_input: float = 0.25, dropout_hidden: float = 0.25, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        self.dropout_input = check_rate("dropout_input", dropout_input)
        self.dropout_hidden = check_rate("dropout_hidden", dropout_hidden)
        self.input_mask: Optional[Tensor] = None
        self.hidden_mask: Optional[Tensor] = None
        self.reset_parameters()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", dropout_input={self.dropout_input}, dropout_hidden={self.dropout_hidden}"

    def forward(self, input: Tensor, hx=None, *, generator: Optional[torch.Generator] = None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        batch = x.shape[1]
        self.input_mask = self.hidden_mask = None
        if self.training and self.dropout_input > 0:
            self.input_mask = dropout_mask((batch, self.input_size), self.dropout_input, x, generator)
            x = x * self.input_mask  # (T, B, D) * (B, D): the same mask at every step
        if self.training and self.dropout_hidden > 0:
            self.hidden_mask = dropout_mask((batch, self.hidden_size), self.dropout_hidden, x, generator)
        xw = self._input_projection(x)  # (T, B, 4H)
        outputs = []
        for xw_t in xw:
            h_in = h if self.hidden_mask is None else h * self.hidden_mask
            h, c = lstm_step(xw_t, h_in, c, self.weight_hh)
            outputs.append(h)
        return self._finish(outputs, h, c)


class WeightDropLSTM(LSTMBase):
    r"""LSTM with DropConnect on the recurrent weights, the "weight-dropped LSTM"
    of Merity, Keskar & Socher (2018), "Regularizing and optimizing LSTM
    language models" (ICLR).

    In training mode a mask ``M`` (4H, H) is drawn once per forward pass and the
    recurrent matrix becomes ``W_hh * M``: whole weights are dropped, the same
    ones at every step and for every sequence of the batch::

        a_t = W_ih x_t + b_ih + (W_hh * M) h_{t-1} + b_hh

    Because the mask is on the weights, not on the activations, the step
    itself is unchanged, and a fast fused LSTM kernel could run it. In eval
    mode, or with rate 0, this is ``torch.nn.LSTM``.

    Args:
        input_size: D. hidden_size: H. bias, batch_first, device, dtype: as in ``torch.nn.LSTM``.
        weight_dropout: probability of dropping each entry of W_hh.

    Parameters: those of ``torch.nn.LSTM`` (one layer), drawn from U(-1/sqrt(H), 1/sqrt(H)).

    Attributes:
        weight_hh_mask: (4H, H) scaled mask (entries 0 or 1/(1-p)) of the last
        training-mode forward pass, or None (eval mode, or a rate of 0).

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = WeightDropLSTM(3, 5, weight_dropout=0.5)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 2, 3))
    >>> lstm.weight_hh_mask.shape
    torch.Size([20, 5])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 weight_dropout: float = 0.5, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        self.weight_dropout = check_rate("weight_dropout", weight_dropout)
        self.weight_hh_mask: Optional[Tensor] = None
        self.reset_parameters()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", weight_dropout={self.weight_dropout}"

    def forward(self, input: Tensor, hx=None, *, generator: Optional[torch.Generator] = None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        self.weight_hh_mask = None
        w_hh = self.weight_hh
        if self.training and self.weight_dropout > 0:
            self.weight_hh_mask = dropout_mask(tuple(w_hh.shape), self.weight_dropout, w_hh, generator)
            w_hh = w_hh * self.weight_hh_mask  # (4H, H), fixed for the whole pass
        xw = self._input_projection(x)  # (T, B, 4H)
        outputs = []
        for xw_t in xw:
            h, c = lstm_step(xw_t, h, c, w_hh)
            outputs.append(h)
        return self._finish(outputs, h, c)


class ZoneoutLSTM(LSTMBase):
    r"""LSTM with zoneout, Krueger et al. (2017), "Zoneout: Regularizing RNNs by
    randomly preserving hidden activations" (ICLR).

    At every step each unit either takes its new value or keeps its previous
    one. With ``(h~_t, c~_t)`` the plain LSTM step from ``(h_{t-1}, c_{t-1})``
    (so ``c~_t = f_t * c_{t-1} + i_t * g_t`` and ``h~_t = o_t * tanh(c~_t)``)
    and masks ``d^c_t, d^h_t`` (B, H) drawn afresh at every step, each entry 1
    with probability ``zoneout_cell``, resp. ``zoneout_hidden``::

        c_t = d^c_t * c_{t-1} + (1 - d^c_t) * c~_t
        h_t = d^h_t * h_{t-1} + (1 - d^h_t) * h~_t

    As in the paper, ``h~_t`` reads the candidate cell ``c~_t``, not the zoned
    ``c_t``. At evaluation the masks are replaced by their expectations::

        c_t = p_c c_{t-1} + (1 - p_c) c~_t,   h_t = p_h h_{t-1} + (1 - p_h) h~_t

    Rates 0 give ``torch.nn.LSTM``; rate 1 keeps the initial state forever.

    Args:
        input_size: D. hidden_size: H. bias, batch_first, device, dtype: as in ``torch.nn.LSTM``.
        zoneout_cell: p_c, probability that a unit of c keeps its value.
        zoneout_hidden: p_h, probability that a unit of h keeps its value.

    Parameters: those of ``torch.nn.LSTM`` (one layer), drawn from U(-1/sqrt(H), 1/sqrt(H)).

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = ZoneoutLSTM(3, 5, zoneout_cell=0.1, zoneout_hidden=0.05).eval()
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 2, 3))
    >>> output.shape
    torch.Size([7, 2, 5])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 zoneout_cell: float = 0.1, zoneout_hidden: float = 0.1, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        self.zoneout_cell = check_rate("zoneout_cell", zoneout_cell)
        self.zoneout_hidden = check_rate("zoneout_hidden", zoneout_hidden)
        self.reset_parameters()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", zoneout_cell={self.zoneout_cell}, zoneout_hidden={self.zoneout_hidden}"

    def _keep(self, p: float, x: Tensor, generator) -> Tensor:
        """Zoneout masks d (1 = keep the previous value): (T, B, H) draws in
        training; in eval mode their expectation p, as (T, 1, 1)."""
        if not self.training:
            return x.new_full((x.shape[0], 1, 1), p)
        shape = (x.shape[0], x.shape[1], self.hidden_size)
        return torch.empty(shape, device=x.device, dtype=x.dtype).bernoulli_(p, generator=generator)

    def forward(self, input: Tensor, hx=None, *, generator: Optional[torch.Generator] = None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        keep_c = self._keep(self.zoneout_cell, x, generator)
        keep_h = self._keep(self.zoneout_hidden, x, generator)
        xw = self._input_projection(x)  # (T, B, 4H)
        outputs = []
        for t, xw_t in enumerate(xw):
            h_new, c_new = lstm_step(xw_t, h, c, self.weight_hh)
            c = keep_c[t] * c + (1 - keep_c[t]) * c_new
            h = keep_h[t] * h + (1 - keep_h[t]) * h_new
            outputs.append(h)
        return self._finish(outputs, h, c)
