"""What the cells and layers of ``rnn.py``, ``lstm.py`` and ``gru.py`` share:
their parameters and the cell modules' interface.

``add_gate_parameters`` registers the weights of one layer (or cell) in the
layout of ``torch.nn``: G gate blocks stacked by rows, G = 1 for the RNN,
4 for the LSTM (i, f, g, o), 3 for the GRU (r, z, n); see the weight table of
book/notation.md#notation-weights. ``_CellBase`` is ``torch.nn.RNNCellBase``'s
interface (constructor, parameters, ``extra_repr``, the checks of the input
and the states) for ``RNNCell``, ``LSTMCell`` and ``GRUCell``, which only add
their step.

Dimensions: B batch, D input features, H hidden units, S the width of the
state ``W_hh`` reads (H, or P for an LSTM with projection).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import InputError, check_same_place, check_size, refuse_torchscript


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
