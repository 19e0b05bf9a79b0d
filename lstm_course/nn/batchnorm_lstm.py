"""The batch-normalised LSTM of Cooijmans et al. (2017), with statistics per time step.

Cooijmans, Ballas, Laurent, Gulcehre & Courville (2017), "Recurrent batch
normalization" (ICLR): normalise the input and the recurrent
contributions separately, and the cell state before its tanh, with batch
normalisation::

    BN(z; gamma, beta) = gamma * (z - E[z]) / sqrt(Var[z] + eps) + beta

    a_t = BN(W_hh h_{t-1}; gamma_hh, 0) + BN(W_ih x_t; gamma_ih, 0) + b
    (a_i, a_f, a_g, a_o) = a_t, each (B, H)
    c_t = sigmoid(a_f) * c_{t-1} + sigmoid(a_i) * tanh(a_g)
    h_t = sigmoid(a_o) * tanh(BN(c_t; gamma_c, beta_c))

Unlike layer normalisation (``layernorm_lstm.py``), E and Var are taken
over the B examples of the batch, for each unit apart, and **separately at
every time step t**: the statistics of the first steps, which start from
h_0 = 0, differ from those later on. In training mode each step uses the
statistics of its batch and updates running averages kept per step, for
t = 1..T_max (``max_steps``); in eval mode step t uses the running averages
of step min(t, T_max), so that sequences longer than any seen in training
reuse the last ones, as the paper does. The shifts of the two first
normalisations are left out (beta = 0), as in the paper: the bias b does
their work. The gains start at 0.1, the paper's recommendation: with gain 1
the normalised pre-activations have unit variance and saturate the gates.

Laurent et al. (2016), "Batch normalized recurrent neural networks"
(ICASSP), the earlier form, normalise only the input term W_ih x_t, with
statistics over the batch and all time steps together.

Dimensions: T time steps, B batch (at least 2 in training mode), D =
``input_size``, H = ``hidden_size``, T_max = ``max_steps``.

Taught in the book's chapter "Layer and batch normalisation",
book/training_normalisation.md#eq-train-batchnorm-lstm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_positive_int, check_rate
from ._lstm_base import LSTMBase

__all__ = ["BatchNormLSTM"]


class BatchNormLSTM(LSTMBase):
    r"""LSTM with recurrent batch normalisation (Cooijmans et al. 2017), statistics per time step.

    Equations in the module docstring.

    Args:
        input_size: D. hidden_size: H.
        max_steps: T_max, the number of time steps with running statistics of their own.
        bias: if False, no b, and the cell normalisation has no shift beta_c.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        eps: added to every variance.
        momentum: of the running averages, as in ``torch.nn.BatchNorm1d``:
            ``running = (1 - momentum) * running + momentum * batch statistic``.
        gain: initial value of every gain gamma.
        device, dtype: of the parameters and buffers.

    Parameters:
        weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh (4H,): as in
        ``torch.nn.LSTM`` (gate order i, f, g, o; b = bias_ih + bias_hh), from
        U(-1/sqrt(H), 1/sqrt(H)).
        gamma_ih, gamma_hh (4H,), gamma_c (H,): the gains, starting at ``gain``;
        beta_c (H,): the shift of the cell normalisation, starting at 0.

    Buffers:
        running_mean_ih, running_var_ih, running_mean_hh, running_var_hh
        (T_max, 4H), running_mean_c, running_var_c (T_max, H): one row per
        time step, starting at mean 0 and variance 1.

    Shapes:
        input: (T, B, D), or (B, T, D) if ``batch_first``; any T.
        hx: ``(h_0, c_0)``, each (1, B, H), or None for zeros.
        output: (T, B, H) (or (B, T, H)); h_n, c_n: (1, B, H).

    >>> lstm = BatchNormLSTM(3, 5, max_steps=7)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 4, 3))
    >>> output.shape, lstm.running_mean_hh.shape
    (torch.Size([7, 4, 5]), torch.Size([7, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, max_steps: int, bias: bool = True,
                 batch_first: bool = False, eps: float = 1e-5, momentum: float = 0.1, gain: float = 0.1,
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, batch_first, device, dtype)
        self.max_steps = check_positive_int("max_steps", max_steps)
        self.momentum = check_rate("momentum", momentum)
        self.eps, self.gain = float(eps), float(gain)
        factory = {"device": device, "dtype": dtype}
        self.gamma_ih = nn.Parameter(torch.empty(4 * hidden_size, **factory))
        self.gamma_hh = nn.Parameter(torch.empty(4 * hidden_size, **factory))
        self.gamma_c = nn.Parameter(torch.empty(hidden_size, **factory))
        self.beta_c = nn.Parameter(torch.empty(hidden_size, **factory)) if self.bias else None
        for name, size in (("ih", 4 * hidden_size), ("hh", 4 * hidden_size), ("c", hidden_size)):
            self.register_buffer(f"running_mean_{name}", torch.zeros(max_steps, size, **factory))
            self.register_buffer(f"running_var_{name}", torch.ones(max_steps, size, **factory))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weights and biases from U(-1/sqrt(H), 1/sqrt(H)); gains ``gain``, beta_c 0; running statistics reset."""
        super().reset_parameters()
        with torch.no_grad():
            for gamma in (self.gamma_ih, self.gamma_hh, self.gamma_c):
                gamma.fill_(self.gain)
            if self.beta_c is not None:
                self.beta_c.zero_()
        self.reset_running_stats()

    def reset_running_stats(self) -> None:
        """Every running mean to 0 and every running variance to 1."""
        for name in ("ih", "hh", "c"):
            getattr(self, f"running_mean_{name}").zero_()
            getattr(self, f"running_var_{name}").fill_(1.0)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", max_steps={self.max_steps}"

    def _normalise(self, z: Tensor, name: str, t: int, gamma: Tensor, beta) -> Tensor:
        """BN of ``z (B, N)`` at step t (0-based) with the statistics of the batch (training) or of step min(t, T_max)."""
        s = min(t, self.max_steps - 1)
        mean, var = getattr(self, f"running_mean_{name}")[s], getattr(self, f"running_var_{name}")[s]
        if self.training and t >= self.max_steps:
            mean = var = None  # batch statistics, and no running average past T_max
        return F.batch_norm(z, mean, var, gamma, beta, self.training, self.momentum, self.eps)

    def forward(self, input: Tensor, hx=None):
        """Run over a sequence batch; returns ``(output, (h_n, c_n))`` (shapes above)."""
        x, h, c = self._prepare(input, hx)
        if self.training and x.shape[1] < 2:
            raise ValueError(f"BatchNormLSTM needs a batch of at least 2 sequences in training mode, got {x.shape[1]}")
        xw = F.linear(x, self.weight_ih)  # (T, B, 4H), normalised step by step below
        bias = None if self.bias_ih is None else self.bias_ih + self.bias_hh
        outputs = []
        for t, xw_t in enumerate(xw):
            a = (self._normalise(F.linear(h, self.weight_hh), "hh", t, self.gamma_hh, None)
                 + self._normalise(xw_t, "ih", t, self.gamma_ih, None))  # (B, 4H)
            if bias is not None:
                a = a + bias
            a_i, a_f, a_g, a_o = a.chunk(4, 1)  # each (B, H)
            c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
            h = torch.sigmoid(a_o) * torch.tanh(self._normalise(c, "c", t, self.gamma_c, self.beta_c))
            outputs.append(h)
        return self._finish(outputs, h, c)
