"""The LSTM recurrence over a whole sequence as one autograd node, with the
backward pass (backpropagation through time) written by hand.

Step by step, autograd records about a dozen small operations per time step
and replays them backward; at the sizes of the course (B = 32, H = 128) that
bookkeeping costs more than the arithmetic. This function runs the loop
without recording and backpropagates with the equations of
``lstm_course.numpy_ref.lstm`` — the same algorithm as the NumPy reference,
in PyTorch, so it runs on a GPU as well — and computes the gradient of
``W_hh`` with one matrix product over all steps.

Each pass has two forms with the same equations. The fast one writes into
preallocated buffers in place; autograd cannot differentiate it and
``torch.func.vmap`` cannot batch it. So when the backward itself is being
recorded (``create_graph=True``: gradient penalties, Hessian-vector
products, ``gradgradcheck``) or runs on batched tensors (``vmap``,
``jacobian(vectorize=True)``), the out-of-place form runs instead, and the
gates are recomputed from the inputs and the outputs h, c, so that second
derivatives flow through them. ``torch.compile`` traces the out-of-place form
too, since it fuses plain operations itself. Forward-mode derivatives (``torch.func.jvp``,
``torch.autograd.forward_ad``) have their own rule, ``jvp``.

It serves ``lstm_course.nn.LSTM`` for dense input without projection; packed
sequences and ``proj_size`` take the step-by-step path of ``recurrent.py``.

Dimensions: T time steps, B batch, H hidden units.
"""

from __future__ import annotations

import torch
from torch import Tensor

# grad * s * (1 - s) and grad * (1 - y^2) from the outputs s, y: the fused
# kernels autograd itself uses for sigmoid and tanh.
_sigmoid_backward = torch.ops.aten.sigmoid_backward
_tanh_backward = torch.ops.aten.tanh_backward
def _out_of_place(*tensors: Tensor) -> bool:
    """Whether to run the out-of-place form: under ``torch.compile``, which traces
    (and fuses) plain operations, or when a tensor is batched or wrapped by
    ``torch.func`` or by the older vmap that ``gradcheck``'s batched checks and
    ``autograd.grad(is_grads_batched=True)`` use."""
    if torch.compiler.is_compiling():
        return True
    return any(torch._C._functorch.is_functorch_wrapped_tensor(t) or torch._C._functorch.is_legacy_batchedtensor(t)
               for t in tensors)


def lstm_sequence(xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor) -> tuple[Tensor, Tensor]:
    """h, c (T, B, H) of every step; see ``LSTMSequence``."""
    h, c, _, _ = LSTMSequence.apply(xw, h0, c0, w_hh)
    return h, c


def _gate_views(gates: Tensor):
    """Four tuples of per-step (B, H) views i_t, f_t, g_t, o_t of gates (T, B, 4H)."""
    return tuple(block.unbind(0) for block in gates.chunk(4, dim=2))


def _activate(a: Tensor) -> Tensor:
    """Pre-activations (…, 4H) -> gates sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)."""
    i, f, g, o = a.chunk(4, dim=-1)
    return torch.cat([torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)], dim=-1)


def _forward_fast(xw, h0, c0, w_hh):
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
    return h, c, gates, tanh_c


def _forward_functional(xw, h0, c0, w_hh):
    """The same recurrence out of place, for batched (``vmap``) tensors."""
    hs, cs, gates = [], [], []
    h, c = h0, c0
    for xw_t in xw.unbind(0):
        gate = _activate(xw_t + h @ w_hh.t())
        i, f, g, o = gate.chunk(4, dim=-1)
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h), cs.append(c), gates.append(gate)
    h, c = torch.stack(hs), torch.stack(cs)
    return h, c, torch.stack(gates), torch.tanh(c)


def _backward_fast(gates, c, tanh_c, h, h0, c0, w_hh, dh_all, dc_all, need_w_grad):
    steps, batch, hidden = h.shape
    da = torch.empty_like(gates)  # (T, B, 4H) gradient w.r.t. the pre-activations
    i_, f_, g_, o_ = _gate_views(gates)
    da_ = da.unbind(0)
    dh_all_, dc_all_, tanh_c_, c_ = dh_all.unbind(0), dc_all.unbind(0), tanh_c.unbind(0), c.unbind(0)
    dh_next = torch.zeros_like(h0)
    dc_next = torch.zeros_like(c0)
    for t in range(steps - 1, -1, -1):
        i, f, g, o = i_[t], f_[t], g_[t], o_[t]
        dh = dh_all_[t] + dh_next
        # h = o * tanh(c): c gets gradient through h, from step t + 1 and from outside.
        dc = _tanh_backward(dh * o, tanh_c_[t]).add_(dc_next).add_(dc_all_[t])
        c_prev = c_[t - 1] if t > 0 else c0
        # d/da of sigmoid and tanh from their outputs, one fused kernel each.
        torch.cat([_sigmoid_backward(dc * g, i), _sigmoid_backward(dc * c_prev, f),
                   _tanh_backward(dc * i, g), _sigmoid_backward(dh * tanh_c_[t], o)], dim=1, out=da_[t])
        dh_next = da_[t] @ w_hh
        dc_next = dc.mul_(f)
    dw_hh = None
    if need_w_grad:
        dw_hh = da[0].t() @ h0
        if steps > 1:
            dw_hh += da[1:].reshape(-1, 4 * hidden).t() @ h[:-1].reshape(-1, hidden)
    return da, dh_next, dc_next, dw_hh


def _backward_functional(xw, h0, c0, w_hh, h, c, dh_all, dc_all):
    """The backward pass out of place, differentiable and batchable.

    The gates are recomputed from the inputs and the outputs h, c rather than
    read from the forward's buffers, which autograd sees as constants.
    """
    h_prev = torch.cat([h0.unsqueeze(0), h[:-1]])
    c_prev = torch.cat([c0.unsqueeze(0), c[:-1]])
    i, f, g, o = _activate(xw + h_prev @ w_hh.t()).chunk(4, dim=-1)
    tanh_c = torch.tanh(c)
    das = []
    dh_next, dc_next = torch.zeros_like(h0), torch.zeros_like(c0)
    for t in range(h.shape[0] - 1, -1, -1):
        dh = dh_all[t] + dh_next
        dc = dh * o[t] * (1 - tanh_c[t] ** 2) + dc_next + dc_all[t]
        da = torch.cat([dc * g[t] * i[t] * (1 - i[t]), dc * c_prev[t] * f[t] * (1 - f[t]),
                        dc * i[t] * (1 - g[t] ** 2), dh * tanh_c[t] * o[t] * (1 - o[t])], dim=-1)
        das.append(da)
        dh_next = da @ w_hh
        dc_next = dc * f[t]
    da = torch.stack(das[::-1])
    # A sum of per-step products: the older vmap has no rule for flatten or einsum.
    dw_hh = (da.transpose(1, 2) @ h_prev).sum(0)
    return da, dh_next, dc_next, dw_hh


class LSTMSequence(torch.autograd.Function):
    """``h, c, gates, tanh_c = LSTMSequence.apply(xw, h0, c0, w_hh)``; use ``lstm_sequence``.

    Args:
        xw: (T, B, 4H) input projections ``W_ih x_t + b_ih + b_hh`` (gates i, f, g, o).
        h0, c0: (B, H) initial states.
        w_hh: (4H, H) recurrent weights.

    Returns:
        h, c: (T, B, H) hidden and cell states of every step; gates (T, B, 4H)
        and tanh_c (T, B, H), kept for the backward pass and not differentiable.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor):
        if _out_of_place(xw, h0, c0, w_hh):
            return _forward_functional(xw, h0, c0, w_hh)
        return _forward_fast(xw, h0, c0, w_hh)

    @staticmethod
    def setup_context(ctx, inputs, output):
        xw, h0, c0, w_hh = inputs
        h, c, gates, tanh_c = output
        ctx.mark_non_differentiable(gates, tanh_c)
        # No zero gradients for the buffers gates and tanh_c (or an unused c), which
        # autograd would otherwise allocate and fill on every backward pass.
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(xw, h0, c0, w_hh, h, c, gates, tanh_c)
        ctx.save_for_forward(h0, c0, w_hh, h, c, gates, tanh_c)

    @staticmethod
    def backward(ctx, dh_all: Tensor, dc_all: Tensor, _dgates, _dtanh_c):
        xw, h0, c0, w_hh, h, c, gates, tanh_c = ctx.saved_tensors
        dh_all = torch.zeros_like(h) if dh_all is None else dh_all
        dc_all = torch.zeros_like(c) if dc_all is None else dc_all
        if torch.is_grad_enabled() or _out_of_place(dh_all, dc_all, xw, h0, c0, w_hh):
            return _backward_functional(xw, h0, c0, w_hh, h, c, dh_all, dc_all)
        return _backward_fast(gates, c, tanh_c, h, h0, c0, w_hh, dh_all, dc_all, ctx.needs_input_grad[3])

    @staticmethod
    def jvp(ctx, dxw, dh0, dc0, dw_hh):
        """Forward-mode derivative: the recurrence of the tangents, step by step."""
        h0, c0, w_hh, h, c, gates, tanh_c = ctx.saved_tensors
        dh_prev = torch.zeros_like(h0) if dh0 is None else dh0
        dc_prev = torch.zeros_like(c0) if dc0 is None else dc0
        dhs, dcs = [], []
        for t in range(h.shape[0]):
            h_prev, c_prev = (h0, c0) if t == 0 else (h[t - 1], c[t - 1])
            da = dh_prev @ w_hh.t()
            if dxw is not None:
                da = da + dxw[t]
            if dw_hh is not None:
                da = da + h_prev @ dw_hh.t()
            i, f, g, o = gates[t].chunk(4, dim=-1)
            d_i, d_f, d_g, d_o = da.chunk(4, dim=-1)
            d_i, d_f, d_o = d_i * i * (1 - i), d_f * f * (1 - f), d_o * o * (1 - o)
            d_g = d_g * (1 - g ** 2)
            dc_prev = d_f * c_prev + f * dc_prev + d_i * g + i * d_g
            dh_prev = d_o * tanh_c[t] + o * (1 - tanh_c[t] ** 2) * dc_prev
            dhs.append(dh_prev), dcs.append(dc_prev)
        return torch.stack(dhs), torch.stack(dcs), None, None
