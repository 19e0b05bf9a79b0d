"""One step of the Elman RNN, the LSTM and the GRU in PyTorch, and the
``RNNCell``, ``LSTMCell`` and ``GRUCell`` modules built on them.

Written from the equations (see ``lstm_course.numpy_ref`` and the book's
notation chapter), in the parameter layout and gate order of ``torch.nn``:
LSTM i, f, g, o; GRU r, z, n with the reset gate applied after the matrix
product. Autograd provides the backward pass; the NumPy reference holds the
hand-written one, and the tests check that all three agree.

The step functions take the input projection already computed, because
the layers compute it for every step in one matrix product before the loop;
only ``W_hh h_{t-1}`` runs step by step. For the RNN and the LSTM that
projection includes both biases (only their sum matters), so a step's
pre-activation is a single ``addmm``; the GRU keeps ``b_hh`` apart, since its
reset gate multiplies ``W_hn h + b_hn``.

Dimensions: B batch, D input features, H hidden units, P projection size.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import (InputError, StateTypeError, check_nonlinearity, check_size,
                      refuse_torchscript)


def rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, nonlinearity: str = "tanh") -> Tensor:
    """``h' = phi(xw + W_hh h)``; xw (B, H) = ``W_ih x + b_ih + b_hh``, h (B, H) -> (B, H)."""
    a = torch.addmm(xw, h, w_hh.t())
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


def lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor,
              w_hr: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """One LSTM step.

    Args:
        xw: (B, 4H) ``W_ih x + b_ih + b_hh``, gates i, f, g, o.
        h: (B, H), or (B, P) with projection; c: (B, H).
        w_hh: (4H, H), or (4H, P) with projection.
        w_hr: (P, H) projection of the LSTM with projection (Sak et al. 2014), or None.

    Returns:
        ``(h', c')``: ``c' = f * c + i * g``, ``h' = o * tanh(c')`` (then ``W_hr h'``).
    """
    gates = torch.addmm(xw, h, w_hh.t())
    i, f, g, o = gates.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    """One GRU step, reset gate after the matrix product (torch/cuDNN form).

    ``xw`` (B, 3H) = ``W_ih x + b_ih`` (r, z, n); h (B, H) -> (B, H)::

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


def check_cell_state(name: str, state: Tensor, expected: tuple, reference: Tensor) -> None:
    """Shape, device and dtype of a state tensor, with errors naming expected vs. got."""
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(state).__name__}")
    if tuple(state.shape) != tuple(expected):
        raise InputError(f"Expected {name} of shape {tuple(expected)}, got {tuple(state.shape)}")
    check_same_place(name, state, reference)


def check_same_place(name: str, state: Tensor, reference: Tensor) -> None:
    """A state on the input's device, with its dtype."""
    if state.device != reference.device:
        raise InputError(f"{name} is on {state.device} but the input is on {reference.device}")
    if state.dtype != reference.dtype:
        raise StateTypeError(f"{name} has dtype {state.dtype} but the input has {reference.dtype}")


def check_positive_int(name: str, value) -> int:
    """Return ``value`` if it is a positive ``int``; raise ``ValueError`` otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def add_gate_parameters(module: nn.Module, gates: int, input_size: int, hidden_size: int, bias: bool,
                        suffix: str = "", state_size: Optional[int] = None, device=None, dtype=None) -> None:
    """Register ``weight_ih{suffix} (G*H, D)``, ``weight_hh{suffix} (G*H, S)`` and, with
    ``bias``, ``bias_ih{suffix}``, ``bias_hh{suffix} (G*H,)`` — else both as None —
    the layout of ``torch.nn``'s recurrent modules, uninitialised. S, the width of
    the state that ``W_hh`` reads, is H unless an LSTM projects it to P."""
    factory = {"device": device, "dtype": dtype}
    rows = gates * hidden_size
    module.register_parameter(f"weight_ih{suffix}", nn.Parameter(torch.empty(rows, input_size, **factory)))
    module.register_parameter(f"weight_hh{suffix}",
                              nn.Parameter(torch.empty(rows, state_size or hidden_size, **factory)))
    for name in (f"bias_ih{suffix}", f"bias_hh{suffix}"):
        module.register_parameter(name, nn.Parameter(torch.empty(rows, **factory)) if bias else None)


def reset_uniform(module: nn.Module, hidden_size: int) -> None:
    """Every parameter of ``module`` from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn`` does."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        nn.init.uniform_(weight, -bound, bound)


class _CellBase(nn.Module):
    """Parameters ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, ``bias_ih``,
    ``bias_hh (G*H,)`` as in ``torch.nn.RNNCellBase``."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        # torch.nn's cells accept zero sizes (an empty state) and do not check ``bias``'s type.
        self.input_size = check_size("input_size", input_size, allow_zero=True)
        self.hidden_size = check_size("hidden_size", hidden_size, allow_zero=True)
        self.bias = bias
        add_gate_parameters(self, self.gates, input_size, hidden_size, bias, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn`` does."""
        reset_uniform(self, self.hidden_size)

    def __prepare_scriptable__(self):
        refuse_torchscript(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, states: tuple):
        """(B, D) or unbatched (D,) input -> (B, D) and whether it was unbatched,
        with ``torch.nn``'s checks of the ranks of the input and the states."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for k, state in enumerate(states):
            if state is not None and state.dim() not in (1, 2):
                what = f"hx[{k}]" if len(states) == 2 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {state.dim()}D instead")
        if input.shape[-1] != self.input_size:
            got, expected = input.shape[-1], self.input_size
            raise InputError(f"input has inconsistent input_size: got {got} expected {expected}; "
                             f"input.size(-1) must be equal to input_size. Expected {expected}, got {got}")
        unbatched = input.dim() == 1
        return (input.unsqueeze(0) if unbatched else input), unbatched

    def _state(self, name: str, k: int, state, x: Tensor, unbatched: bool) -> Tensor:
        """The k-th state (``hidden{k}`` in torch's messages) as (B, H); zeros if None."""
        batch = x.shape[0]
        if state is None:
            return x.new_zeros(batch, self.hidden_size)
        expected = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        ours = f"Expected {name} of shape {expected}, got {tuple(state.shape)}"
        if state.dim() != len(expected):
            raise InputError(ours)
        batched = state.unsqueeze(0) if unbatched else state
        if batched.shape[0] != batch:
            raise InputError(f"Input batch size {batch} doesn't match hidden{k} batch size {batched.shape[0]}; {ours}")
        if batched.shape[1] != self.hidden_size:
            raise InputError(f"hidden{k} has inconsistent hidden_size: got {batched.shape[1]}, "
                             f"expected {self.hidden_size}; {ours}")
        check_same_place(name, state, x)
        return batched

    def _input_projection(self, x: Tensor, both_biases: bool) -> Tensor:
        """``W_ih x + b_ih`` (+ ``b_hh`` if ``both_biases``), (B, G*H)."""
        bias = self.bias_ih
        if bias is not None and both_biases:
            bias = bias + self.bias_hh
        return F.linear(x, self.weight_ih, bias)


class RNNCell(_CellBase):
    """Elman RNN cell, like ``torch.nn.RNNCell``: ``h' = phi(W_ih x + b_ih + W_hh h + b_hh)``.

    ``forward(input (B, D) or (D,), hx (B, H) or None) -> h' (B, H)``.

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


class LSTMCell(_CellBase):
    """LSTM cell, like ``torch.nn.LSTMCell`` (gate order i, f, g, o; see ``lstm_step``).

    ``forward(input (B, D) or (D,), hx=(h, c) or None) -> (h', c')``, each (B, H).

    >>> h, c = LSTMCell(3, 5)(torch.randn(2, 3))
    >>> h.shape, c.shape
    (torch.Size([2, 5]), torch.Size([2, 5]))
    """

    gates = 4

    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None) -> tuple[Tensor, Tensor]:
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        h0, c0 = (None, None) if hx is None else hx
        x, unbatched = self._prepare(input, (h0, c0))
        h = self._state("hx[0]", 0, h0, x, unbatched)
        c = self._state("hx[1]", 1, c0, x, unbatched)
        h, c = lstm_step(self._input_projection(x, both_biases=True), h, c, self.weight_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(_CellBase):
    """GRU cell, like ``torch.nn.GRUCell`` (gate order r, z, n; see ``gru_step``).

    ``forward(input (B, D) or (D,), hx (B, H) or None) -> h' (B, H)``.

    >>> GRUCell(3, 5)(torch.randn(2, 3)).shape
    torch.Size([2, 5])
    """

    gates = 3

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, unbatched = self._prepare(input, (hx,))
        h = self._state("hx", 0, hx, x, unbatched)
        h = gru_step(self._input_projection(x, both_biases=False), h, self.weight_hh, self.bias_hh)
        return h.squeeze(0) if unbatched else h
