"""The LSTM in PyTorch: its step, ``LSTMCell`` and ``LSTM``, drop-in replacements
for ``torch.nn.LSTMCell`` and ``torch.nn.LSTM``, and ``LSTMSequence``, the
fused recurrence ``LSTM`` runs on dense input.

For each element of the input sequence, each layer computes
(book/notation.md#eq-lstm-gates, book/lstm.md#eq-lstm-forget,
book/lstm.md#eq-lstm-out)::

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

where c_t is the cell state, h_t the hidden state, x_t the input at time t
(for layer k > 0, the output h_t of layer k - 1, dropped out in training if
``dropout > 0``), and * the element-wise product. The four blocks are
stacked in torch's order i, f, g, o, and computed with one pre-activation
``a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`` (book/lstm.md#eq-lstm-preact).
With ``proj_size = P > 0`` (Sak, Senior & Beaufays 2014) the hidden state is
projected, ``h_t = W_hr (o_t * tanh(c_t))`` (book/variants.md#eq-var-projection),
so h is (·, P) and c stays (·, H).

Parameters of ``LSTM`` (those of ``LSTMCell`` drop the ``_l[k]`` suffix and
have k = 0, no projection), with H = ``hidden_size``, D = ``input_size``,
H_out = P if ``proj_size > 0`` else H, S = 2 if bidirectional else 1
(book/notation.md#notation-torch-names):

=================  ============================  ======================================
name               blocks                        shape
=================  ============================  ======================================
``weight_ih_l[k]`` ``(W_ii|W_if|W_ig|W_io)``     (4H, D) for k = 0, else (4H, S*H_out)
``weight_hh_l[k]`` ``(W_hi|W_hf|W_hg|W_ho)``     (4H, H_out)
``bias_ih_l[k]``   ``(b_ii|b_if|b_ig|b_io)``     (4H,)
``bias_hh_l[k]``   ``(b_hi|b_hf|b_hg|b_ho)``     (4H,)
``weight_hr_l[k]`` ``W_hr``                      (P, H), only if ``proj_size > 0``
=================  ============================  ======================================

with ``_reverse`` appended for the backward direction. All are drawn from
U(-1/sqrt(H), 1/sqrt(H)), as in ``torch.nn``. Autograd provides the backward
pass of the cell and of packed or projected layers; dense layers without
projection run ``LSTMSequence``, whose backward pass is written by hand from
the NumPy reference ``lstm_course.numpy_ref.lstm``, in PyTorch so that it runs
on a GPU as well.

Dimensions: T time steps, B batch, D input features, H hidden units,
P projection size, L = ``num_layers``.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from ._cell_base import _CellBase
from ._layer_base import _RecurrentLayers

__all__ = ["lstm_step", "LSTMCell", "LSTM", "LSTMSequence", "lstm_sequence"]


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


class LSTMCell(_CellBase):
    """An LSTM cell, like ``torch.nn.LSTMCell`` (gate order i, f, g, o; see ``lstm_step``).

    Args:
        input_size: D. hidden_size: H. bias: with ``b_ih`` and ``b_hh``.
        device, dtype: of the parameters.

    Inputs: ``input`` (B, D) or unbatched (D,); ``hx = (h, c)``, each (B, H)
    or (H,), zeros if None.
    Outputs: ``(h', c')``, each (B, H) or (H,).

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


class LSTM(_RecurrentLayers):
    """LSTM layers, like ``torch.nn.LSTM`` (gate order i, f, g, o; see ``lstm_step``).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``.

    Inputs: ``input`` (T, B, D), (B, T, D) if ``batch_first``, (T, D)
    unbatched, or a ``PackedSequence``; ``(h_0, c_0)``, h_0 (L*S, B, H_out) and
    c_0 (L*S, B, H), zeros if None.

    Outputs: ``output`` (T, B, S*H_out), the last layer's h_t for every t, in
    the layout of ``input``; ``(h_n, c_n)``, every layer's final states, shaped
    as ``(h_0, c_0)``. H_out = P with ``proj_size = P > 0``
    (book/variants.md#eq-var-projection), else H.

    >>> lstm = LSTM(3, 5, bidirectional=True)
    >>> output, (h_n, c_n) = lstm(torch.randn(7, 4, 3))
    >>> output.shape, h_n.shape
    (torch.Size([7, 4, 10]), torch.Size([2, 4, 5]))
    """

    gates = 4
    num_states = 2
    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)

    def _state_sizes(self) -> tuple:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def get_expected_cell_size(self, input: Tensor, batch_sizes: Optional[Tensor]) -> tuple:
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return expected[0], expected[1], self.hidden_size

    def check_forward_args(self, input: Tensor, hidden: tuple, batch_sizes: Optional[Tensor]) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx: tuple, permutation: Optional[Tensor]) -> tuple:
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _step(self, w_hh, b_hh, w_hr):
        return lambda xw, h, c: lstm_step(xw, h, c, w_hh, w_hr)

    def _run(self, xw, batch_sizes, states, reverse, w_hh, b_hh, w_hr):
        # torch.export traces plain operations; the fused function's in-place loop is not one.
        if w_hr is not None or batch_sizes[-1] != batch_sizes[0] or torch.compiler.is_exporting():
            return super()._run(xw, batch_sizes, states, reverse, w_hh, b_hh, w_hr)
        # Dense input, no projection: the whole recurrence is one autograd node with a
        # hand-written backward (LSTMSequence), faster than autograd step by step at the
        # course's sizes; benchmarks/nn_recurrent.py measures it (benchmarks/RESULTS.md).
        seq = xw.view(len(batch_sizes), batch_sizes[0], xw.shape[-1])
        h, c = lstm_sequence(seq.flip(0) if reverse else seq, states[0], states[1], w_hh)
        h_n, c_n = h[-1], c[-1]
        if reverse:
            h = h.flip(0)
        return h.reshape(-1, h.shape[-1]), (h_n, c_n)


# grad * s * (1 - s) and grad * (1 - y^2) from the outputs s, y: the kernels
# autograd itself calls for the backward of sigmoid and tanh. They have no public
# Python name; written out, each would be three element-wise passes over (B, H)
# at every step instead of one, which the in-place backward cannot afford.
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
    """h, c (T, B, H) of every step of book/lstm.md#eq-lstm-preact to book/lstm.md#eq-lstm-out
    from xw (T, B, 4H) = ``W_ih x_t + b_ih + b_hh``, h0, c0 (B, H) and w_hh (4H, H); see ``LSTMSequence``."""
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

    The LSTM recurrence over a whole sequence as one autograd node. The loop
    runs without recording, and the backward pass is backpropagation through
    time written by hand with the equations of the NumPy reference
    (book/lstm.md#eq-lstm-bptt-h to book/lstm.md#eq-lstm-bptt-weights), with
    the gradient of ``W_hh`` as one matrix product over all steps: step by
    step, autograd records a dozen small operations per step, which at the
    course's sizes (B = 32, H = 128) cost more than the arithmetic.

    Each pass has two forms with the same equations. The fast one writes into
    preallocated buffers in place; autograd cannot differentiate it and
    ``torch.func.vmap`` cannot batch it. So when the backward is itself
    recorded (``create_graph=True``: gradient penalties, Hessian-vector
    products, ``gradgradcheck``) or runs on batched tensors (``vmap``,
    ``jacobian(vectorize=True)``), or under ``torch.compile`` (which fuses
    plain operations itself), the out-of-place form runs instead, and the gates
    are recomputed from the inputs and the outputs h, c so that second
    derivatives flow through them. Forward-mode derivatives (``torch.func.jvp``,
    ``torch.autograd.forward_ad``) have their own rule, ``jvp``.

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
