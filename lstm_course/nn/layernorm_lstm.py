"""The layer-normalised LSTM of Ba, Kiros & Hinton (2016).

Ba, Kiros & Hinton (2016), "Layer normalization" (arXiv:1607.06450), §3.1
and the supplementary material: normalise the summed inputs of a recurrent
layer over its units, at every time step, so that their scale cannot grow or
shrink along the sequence. For the LSTM they normalise the input and the
recurrent contributions separately, and the cell state before its tanh::

    LN(z; alpha, beta) = alpha * (z - mean(z)) / sqrt(var(z) + eps) + beta

    a_t = LN(W_hh h_{t-1}; alpha_hh, beta_hh) + LN(W_ih x_t; alpha_ih, beta_ih)
    (a_i, a_f, a_g, a_o) = a_t, each (B, H)
    c_t = sigmoid(a_f) * c_{t-1} + sigmoid(a_i) * tanh(a_g)
    h_t = sigmoid(a_o) * tanh(LN(c_t; alpha_c, beta_c))

mean and var (the biased variance, ``1/n`` like the paper's sigma) are taken
over the features of one (t, b): all 4H pre-activations at once, as the paper
writes it, not each gate block apart (some implementations, such as
TensorFlow's ``LayerNormBasicLSTMCell``, normalise per gate). The cell state
that is carried to the next step is not normalised; only its copy inside the
tanh is. ``eps`` (not in the paper) keeps a zero vector, such as
``W_hh h_0`` for ``h_0 = 0``, from dividing by zero.

The paper also adds a bias b after the two layer norms; it would only add to
``beta_hh + beta_ih``, so it is left out, as ``torch.nn.LSTM`` could do
with one of its two biases.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``.

Taught in the book's chapter "LSTM variants", book/variants.md#eq-var-layernorm-lstm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._lstm_base import LSTMBase

__all__ = ["LayerNormLSTM"]


class _LayerNorm(nn.Module):
    """``LN(z; weight, bias)`` over the last dimension, as ``torch.nn.LayerNorm``
    computes it, but with the bias optional also on torch 2.0.

    Parameters: weight (N,), the gains alpha, initialised to 1; bias (N,), the
    shifts beta, initialised to 0, or None.
    """

    def __init__(self, size: int, eps: float, bias: bool, device=None, dtype=None):
        super().__init__()
        self.size, self.eps = size, eps
        self.weight = nn.Parameter(torch.ones(size, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(size, device=device, dtype=dtype)) if bias else None

    def forward(self, z: Tensor) -> Tensor:
        return F.layer_norm(z, (self.size,), self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.size}, eps={self.eps}, bias={self.bias is not None}"


class LayerNormLSTM(LSTMBase):
    r"""LSTM with layer normalisation (Ba, Kiros & Hinton 2016, "Layer normalization").

    Equations in the module docstring: layer norm over all 4H input
    pre-activations ``W_ih x_t``, separately over all 4H recurrent ones
    ``W_hh h_{t-1}``, and over the H units of ``c_t`` inside the output tanh.

    Args:
        input_size: D. hidden_size: H.
        bias: if False, the three layer norms have gains but no shifts.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        eps: added to the variance in every layer norm.
        device, dtype: of the parameters.

    Parameters:
        weight_ih (4H, D), weight_hh (4H, H): gate order i, f, g, o as in
        ``torch.nn.LSTM``, drawn from U(-1/sqrt(H), 1/sqrt(H)). No
        ``bias_ih``, ``bias_hh``: the shifts of the layer norms play their part.
        ln_ih.weight, ln_ih.bias (4H,): alpha_ih, beta_ih;
        ln_hh.weight, ln_hh.bias (4H,): alpha_hh, beta_hh;
        ln_cell.weight, ln_cell.bias (H,): alpha_c, beta_c.
        Gains start at 1 and shifts at 0, as in the paper.

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = LayerNormLSTM(3, 5)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 2, 3))
    >>> output.shape, lstm.ln_hh.weight.shape, lstm.ln_cell.weight.shape
    (torch.Size([7, 2, 5]), torch.Size([20]), torch.Size([5]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 eps: float = 1e-5, device=None, dtype=None):
        # The base class is told bias=False so that it registers no bias_ih,
        # bias_hh: here ``bias`` switches the shifts of the layer norms.
        super().__init__(input_size, hidden_size, False, batch_first, device, dtype)
        self.bias, self.eps = bool(bias), float(eps)
        factory = {"device": device, "dtype": dtype}
        self.ln_ih = _LayerNorm(4 * hidden_size, self.eps, self.bias, **factory)
        self.ln_hh = _LayerNorm(4 * hidden_size, self.eps, self.bias, **factory)
        self.ln_cell = _LayerNorm(hidden_size, self.eps, self.bias, **factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weights from U(-1/sqrt(H), 1/sqrt(H)); layer-norm gains 1 and shifts 0."""
        super().reset_parameters()
        for norm in (self.ln_ih, self.ln_hh, self.ln_cell):
            nn.init.ones_(norm.weight)
            if norm.bias is not None:
                nn.init.zeros_(norm.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", eps={self.eps}" if self.eps != 1e-5 else "")

    def forward(self, input: Tensor, hx=None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        # The input term depends on x_t alone, so it is normalised for all steps at once.
        xw = self.ln_ih(F.linear(x, self.weight_ih))  # (T, B, 4H)
        outputs = []
        for xw_t in xw:
            a_i, a_f, a_g, a_o = (xw_t + self.ln_hh(F.linear(h, self.weight_hh))).chunk(4, 1)  # each (B, H)
            c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
            h = torch.sigmoid(a_o) * torch.tanh(self.ln_cell(c))
            outputs.append(h)
        return self._finish(outputs, h, c)
