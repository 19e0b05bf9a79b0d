"""The LSTM recurrence over a whole sequence as one autograd node, with the
backward pass (backpropagation through time) written by hand.

Step by step, autograd records about a dozen small operations per time step
and replays them backward; at the sizes of the course (B = 32, H = 128) that
bookkeeping costs more than the arithmetic. This function runs the loop
without recording and backpropagates with the equations of
``lstm_course.numpy_ref.lstm`` — the same algorithm as the NumPy reference,
in PyTorch, so it runs on a GPU as well — and computes the gradient of
``W_hh`` with one matrix product over all steps.

It serves ``lstm_course.nn.LSTM`` for dense input without projection; packed
sequences and ``proj_size`` take the step-by-step path of ``recurrent.py``.
Second derivatives are not supported (``once_differentiable``).

Dimensions: T time steps, B batch, H hidden units.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

# grad * s * (1 - s) and grad * (1 - y^2) from the outputs s, y: the fused
# kernels autograd itself uses for sigmoid and tanh.
_sigmoid_backward = torch.ops.aten.sigmoid_backward
_tanh_backward = torch.ops.aten.tanh_backward


def _gate_views(gates: Tensor):
    """Four tuples of per-step (B, H) views i_t, f_t, g_t, o_t of gates (T, B, 4H)."""
    return tuple(block.unbind(0) for block in gates.chunk(4, dim=2))


class LSTMSequence(torch.autograd.Function):
    """``h, c = LSTMSequence.apply(xw, h0, c0, w_hh)``.

    Args:
        xw: (T, B, 4H) input projections ``W_ih x_t + b_ih + b_hh`` (gates i, f, g, o).
        h0, c0: (B, H) initial states.
        w_hh: (4H, H) recurrent weights.

    Returns:
        h, c: (T, B, H) hidden and cell states of every step.
    """

    @staticmethod
    def forward(ctx, xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor):
        steps, batch, four_hidden = xw.shape
        hidden = four_hidden // 4
        gates = xw.clone()  # pre-activations, turned into the gates in place step by step
        h = xw.new_empty(steps, batch, hidden)
        c = torch.empty_like(h)
        tanh_c = torch.empty_like(h)
        # Per-step views made once: slicing inside the loop costs more than the
        # arithmetic at the course's sizes.
        a_, h_, c_, tanh_c_ = gates.unbind(0), h.unbind(0), c.unbind(0), tanh_c.unbind(0)
        if_, g_, o_ = (block.unbind(0) for block in gates.split([2 * hidden, hidden, hidden], dim=2))
        i_, f_, _, _ = _gate_views(gates)
        w_t = w_hh.t()
        h_prev, c_prev = h0, c0
        for t in range(steps):
            a_[t].addmm_(h_prev, w_t)
            if_[t].sigmoid_()
            g_[t].tanh_()
            o_[t].sigmoid_()
            torch.mul(f_[t], c_prev, out=c_[t])
            c_[t].addcmul_(i_[t], g_[t])
            torch.tanh(c_[t], out=tanh_c_[t])
            torch.mul(o_[t], tanh_c_[t], out=h_[t])
            h_prev, c_prev = h_[t], c_[t]
        ctx.save_for_backward(gates, c, tanh_c, h, h0, c0, w_hh)
        return h, c

    @staticmethod
    @once_differentiable
    def backward(ctx, dh_all: Tensor, dc_all: Tensor):
        gates, c, tanh_c, h, h0, c0, w_hh = ctx.saved_tensors
        steps, batch, hidden = h.shape
        dh_all = torch.zeros_like(h) if dh_all is None else dh_all
        da = torch.empty_like(gates)  # (T, B, 4H) gradient w.r.t. the pre-activations
        i_, f_, g_, o_ = _gate_views(gates)
        da_ = da.unbind(0)
        dh_all_, tanh_c_, c_ = dh_all.unbind(0), tanh_c.unbind(0), c.unbind(0)
        dc_all_ = None if dc_all is None else dc_all.unbind(0)
        dh_next = torch.zeros_like(h0)
        dc_next = torch.zeros_like(c0)
        for t in range(steps - 1, -1, -1):
            i, f, g, o = i_[t], f_[t], g_[t], o_[t]
            dh = dh_all_[t] + dh_next
            # h = o * tanh(c): c gets gradient through h and from step t + 1.
            dc = _tanh_backward(dh * o, tanh_c_[t]).add_(dc_next)
            if dc_all_ is not None:
                dc += dc_all_[t]
            c_prev = c_[t - 1] if t > 0 else c0
            # d/da of sigmoid and tanh from their outputs, one fused kernel each.
            torch.cat([_sigmoid_backward(dc * g, i), _sigmoid_backward(dc * c_prev, f),
                       _tanh_backward(dc * i, g), _sigmoid_backward(dh * tanh_c_[t], o)], dim=1, out=da_[t])
            dh_next = da_[t] @ w_hh
            dc_next = dc.mul_(f)
        dw_hh = None
        if ctx.needs_input_grad[3]:
            dw_hh = da[0].t() @ h0
            if steps > 1:
                dw_hh += da[1:].reshape(-1, 4 * hidden).t() @ h[:-1].reshape(-1, hidden)
        return da, dh_next, dc_next, dw_hh
