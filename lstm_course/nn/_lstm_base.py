"""The ``torch.nn`` interface shared by the LSTM variants of this package.

``LSTMBase`` holds what ``PeepholeLSTM``, ``CoupledLSTM``, ``LayerNormLSTM``
and the regularised LSTMs have in common: the constructor arguments, the
parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` in the
layout of ``torch.nn.LSTM``, their initialisation, and the conversion of
``forward``'s arguments to time-major tensors and back. Each subclass writes
its own recurrence in ``forward``, so that a reader finds the whole algorithm
of a variant in one place. The time-major conversions are also used by ``minimal.py``.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``,
G gate blocks (4 for i, f, g, o; 3 for the coupled LSTM's i, g, o).
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._cell_base import add_gate_parameters, reset_uniform
from ._checks import check_cell_state, check_positive_int


def to_time_major(module: nn.Module, input: Tensor, like: Tensor) -> Tensor:
    """Check a sequence batch and return it time-major.

    Args:
        module: has ``input_size`` and ``batch_first``; its class names the errors.
        input: (T, B, D), or (B, T, D) if ``module.batch_first``.
        like: a parameter of ``module``: the input must share its device and dtype.

    Returns:
        (T, B, D) view of ``input``.
    """
    name = type(module).__name__
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    layout = "(B, T, D)" if module.batch_first else "(T, B, D)"
    if input.dim() != 3:
        raise ValueError(f"{name}: expected a 3-D input {layout}, got shape {tuple(input.shape)}")
    if input.shape[-1] != module.input_size:
        raise ValueError(f"{name}: input.size(-1) must equal input_size={module.input_size}, got {input.shape[-1]}")
    if input.shape[0] == 0 or input.shape[1] == 0:
        raise ValueError(f"{name}: input must have at least one time step and one sequence, "
                         f"got shape {tuple(input.shape)}")
    if input.device != like.device:
        raise ValueError(f"{name}: input is on {input.device} but the parameters are on {like.device}")
    if input.dtype != like.dtype:
        raise TypeError(f"{name}: input has dtype {input.dtype} but the parameters have {like.dtype}")
    return input.transpose(0, 1) if module.batch_first else input


def from_time_major(output: Tensor, batch_first: bool) -> Tensor:
    """(T, B, H) -> (B, T, H) if ``batch_first``, else unchanged."""
    return output.transpose(0, 1) if batch_first else output


def initial_state(name: str, state: Optional[Tensor], x: Tensor, hidden_size: int) -> Tensor:
    """The caller's (1, B, H) initial state as (B, H), or zeros (B, H) if None.

    ``x`` (T, B, D) is the time-major input whose batch size, device and dtype
    the state must match.
    """
    if state is None:
        return x.new_zeros(x.shape[1], hidden_size)
    check_cell_state(name, state, (1, x.shape[1], hidden_size), x)
    return state[0]


class LSTMBase(nn.Module):
    """Parameters and interface of a single-layer LSTM with G gate blocks.

    Parameters, in the layout of ``torch.nn.LSTM`` (gate blocks stacked by rows):
    ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, and if ``bias``,
    ``bias_ih (G*H,)`` and ``bias_hh (G*H,)``. Subclasses register their
    extra parameters, then call ``reset_parameters()``.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 device=None, dtype=None):
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        add_gate_parameters(self, self.gates, input_size, hidden_size, bias, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn.LSTM`` does."""
        reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s + (", batch_first=True" if self.batch_first else "")

    def _prepare(self, input: Tensor, hx) -> tuple[Tensor, Tensor, Tensor]:
        """``forward``'s arguments -> x (T, B, D), h0 (B, H), c0 (B, H)."""
        x = to_time_major(self, input, self.weight_ih)
        if hx is None:
            hx = (None, None)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{type(self).__name__}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        return x, initial_state("hx[0]", hx[0], x, self.hidden_size), initial_state("hx[1]", hx[1], x, self.hidden_size)

    def _finish(self, outputs: list, h: Tensor, c: Tensor):
        """T tensors (B, H) and the final states -> ``(output, (h_n, c_n))`` as ``torch.nn.LSTM`` returns them."""
        return from_time_major(torch.stack(outputs), self.batch_first), (h.unsqueeze(0), c.unsqueeze(0))

    def _input_projection(self, x: Tensor) -> Tensor:
        """``W_ih x_t + b_ih + b_hh`` for every step at once: (T, B, D) -> (T, B, G*H).

        Only the sum of the two biases matters, so it joins the one product
        made before the loop; the loop then adds just ``W_hh h_{t-1}``.
        """
        bias = None if self.bias_ih is None else self.bias_ih + self.bias_hh
        return F.linear(x, self.weight_ih, bias)
