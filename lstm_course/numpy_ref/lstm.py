"""Long short-term memory with a forget gate, forward and backward, in NumPy.

The LSTM of Hochreiter & Schmidhuber (1997) with the forget gate of Gers,
Schmidhuber & Cummins (2000), in the layout and gate order of ``torch.nn.LSTM``::

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)        cell input
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Dimensions: T time steps, B batch, D input features, H hidden units.
Weights stack the four gates in the order i, f, g, o:
``w_ih (4H, D)``, ``w_hh (4H, H)``, ``b_ih (4H,)``, ``b_hh (4H,)``;
the biases may both be ``None``.

The peephole LSTM (``peephole_lstm.py``) is this LSTM plus three diagonal
terms, so the cell functions here take optional ``peepholes``.

The step and sequence functions share one pointwise core
(``lstm_cell_forward``/``lstm_cell_backward``), which takes the gate
pre-activations ``a = W_ih x + W_hh h + b``. The sequence functions compute
``W_ih x`` for all steps in one matrix product, and the weight gradients in
one product over all steps, so only ``W_hh h_{t-1}`` runs step by step.

Taught in the book's chapter on long short-term memory.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._matmul import matmul_over_time, recurrent_weight_grad
from ._validation import as_float_array, check_shape, check_weights
from .activations import sigmoid

GATES = 4


class LSTMStepCache(NamedTuple):
    """What ``lstm_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    gates: np.ndarray  # (B, 4H) activated gates i, f, g, o
    c_next: np.ndarray  # (B, H) new cell state
    tanh_c: np.ndarray  # (B, H) tanh(c_next)
    w_ih: np.ndarray  # (4H, D)
    w_hh: np.ndarray  # (4H, H)
    has_bias: bool
    peepholes: Optional[tuple] = None  # (w_ci, w_cf, w_co), each (H,), or None


class LSTMStepGrads(NamedTuple):
    """Gradients of one step; the bias entries are None without bias."""

    dx: np.ndarray  # (B, D)
    dh_prev: np.ndarray  # (B, H)
    dc_prev: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    db_ih: Optional[np.ndarray]  # (4H,)
    db_hh: Optional[np.ndarray]  # (4H,)


class LSTMCache(NamedTuple):
    """What ``lstm_backward`` needs from the forward pass over a sequence."""

    x: np.ndarray  # (T, B, D)
    h0: np.ndarray  # (B, H)
    c0: np.ndarray  # (B, H)
    h: np.ndarray  # (T, B, H) hidden states
    c: np.ndarray  # (T, B, H) cell states
    gates: np.ndarray  # (T, B, 4H) activated gates i, f, g, o
    tanh_c: np.ndarray  # (T, B, H)
    w_ih: np.ndarray
    w_hh: np.ndarray
    has_bias: bool
    peepholes: Optional[tuple] = None  # (w_ci, w_cf, w_co), each (H,), or None


class LSTMGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dc0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    db_ih: Optional[np.ndarray]  # (4H,)
    db_hh: Optional[np.ndarray]  # (4H,)


def _blocks(stacked, hidden):
    """Views of the four gate blocks i, f, g, o of a (B, 4H) array."""
    return (stacked[:, :hidden], stacked[:, hidden : 2 * hidden],
            stacked[:, 2 * hidden : 3 * hidden], stacked[:, 3 * hidden :])


def lstm_cell_forward(a, c_prev, peepholes=None, out=None):
    """Pointwise part of an LSTM step, from gate pre-activations.

    Args:
        a: (B, 4H) pre-activations ``W_ih x + b_ih + W_hh h_prev + b_hh``,
            gates in the order i, f, g, o. Not modified, unless ``out``
            passes ``a`` itself as ``gates``.
        c_prev: (B, H) previous cell state.
        peepholes: optional ``(w_ci, w_cf, w_co)``, each (H,): the input and
            forget gates also see ``c_prev``, the output gate sees ``c_next``
            (Gers, Schraudolph & Schmidhuber 2002).
        out: optional arrays ``(gates, c_next, tanh_c, h_next)`` to write the
            results into (the sequence functions pass slices of their caches).

    Returns:
        gates: (B, 4H) activated gates i, f, g, o.
        c_next: (B, H) new cell state.
        tanh_c: (B, H) ``tanh(c_next)``.
        h_next: (B, H) new hidden state.
    """
    hidden = c_prev.shape[-1]
    if out is None:
        out = (np.empty_like(a), np.empty_like(c_prev), np.empty_like(c_prev), np.empty_like(c_prev))
    gates, c_next, tanh_c, h_next = out
    i, f, g, o = _blocks(gates, hidden)
    a_i, a_f, a_g, a_o = _blocks(a, hidden)
    # Each block is read before it is written, so ``gates`` may be ``a`` itself:
    # the sequence functions turn pre-activations into gates in place.
    np.tanh(a_g, out=g)
    if peepholes is None:
        gates[:, : 2 * hidden] = sigmoid(a[:, : 2 * hidden])
    else:
        w_ci, w_cf, w_co = peepholes
        i[...] = sigmoid(a_i + w_ci * c_prev)
        f[...] = sigmoid(a_f + w_cf * c_prev)
    np.multiply(f, c_prev, out=c_next)
    c_next += i * g
    o[...] = sigmoid(a_o if peepholes is None else a_o + w_co * c_next)
    np.tanh(c_next, out=tanh_c)
    np.multiply(o, tanh_c, out=h_next)
    return gates, c_next, tanh_c, h_next


def lstm_cell_backward(dh_next, dc_next, gates, c_prev, tanh_c, peepholes=None, out=None):
    """Backward of ``lstm_cell_forward``.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        dc_next: (B, H) gradient w.r.t. ``c_next`` from later steps (not
            through ``h_next``: that path is added here).
        gates, c_prev, tanh_c, peepholes: as in and from the forward.
        out: optional (B, 4H) array to write the result ``da`` into.

    Returns:
        da: (B, 4H) gradient w.r.t. the pre-activations ``a``.
        dc_prev: (B, H) gradient w.r.t. ``c_prev``.
    """
    hidden = c_prev.shape[-1]
    i, f, g, o = _blocks(gates, hidden)
    da = np.empty_like(gates) if out is None else out
    da_i, da_f, da_g, da_o = _blocks(da, hidden)
    # h = o * tanh(c): the cell state receives gradient through h and from t+1.
    dc = 1 - tanh_c * tanh_c
    dc *= o
    dc *= dh_next
    np.multiply(dh_next, tanh_c, out=da_o)  # dL/do, scaled to dL/da_o below
    if peepholes is not None:
        dc += da_o * o * (1 - o) * peepholes[2]  # o also read c_next
    dc += dc_next
    np.multiply(dc, g, out=da_i)
    np.multiply(dc, c_prev, out=da_f)
    np.multiply(dc, i, out=da_g)
    # Derivatives of the activations for all four blocks at once:
    # sigmoid' = s (1 - s) for i, f, o, and tanh' = 1 - g^2 for g.
    slope = 1 - gates
    slope *= gates
    np.multiply(g, g, out=slope[:, 2 * hidden : 3 * hidden])
    np.subtract(1, slope[:, 2 * hidden : 3 * hidden], out=slope[:, 2 * hidden : 3 * hidden])
    da *= slope
    dc_prev = dc * f
    if peepholes is not None:
        dc_prev += da_i * peepholes[0] + da_f * peepholes[1]
    return da, dc_prev


def _check_peepholes(peepholes, hidden):
    if peepholes is None:
        return None
    for name, w in zip(("w_ci", "w_cf", "w_co"), peepholes):
        check_shape(name, w, (hidden,))
    return tuple(peepholes)


def lstm_step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih=None, b_hh=None):
    """One time step of the LSTM.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) previous hidden state.
        c_prev: (B, H) previous cell state.
        w_ih: (4H, D), w_hh: (4H, H) weights, gates stacked i, f, g, o.
        b_ih, b_hh: (4H,) biases, or both None.

    Returns:
        h_next: (B, H) new hidden state.
        c_next: (B, H) new cell state.
        cache: ``LSTMStepCache`` for ``lstm_step_backward``.
    """
    return step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh, peepholes=None)


def lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache) -> LSTMStepGrads:
    """Backward pass of one LSTM step.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        dc_next: (B, H) gradient w.r.t. ``c_next`` (zeros at the last step
            when the loss does not read the cell state).
        cache: from ``lstm_step_forward``.

    Returns:
        ``LSTMStepGrads(dx, dh_prev, dc_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    grads, _ = step_backward(dh_next, dc_next, cache)
    return grads


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Run the LSTM over a whole sequence.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0, c0: (B, H) initial hidden and cell states, or None for zeros.
        w_ih, w_hh, b_ih, b_hh: as in ``lstm_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step (``h[-1]`` is ``h_n``).
        c: (T, B, H) cell state at every step (``c[-1]`` is ``c_n``).
        cache: ``LSTMCache`` for ``lstm_backward``.
    """
    return sequence_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, peepholes=None)


def lstm_backward(dh, cache: LSTMCache, dh_n=None, dc_n=None) -> LSTMGrads:
    """Backpropagation through time for ``lstm_forward``.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``lstm_forward``.
        dh_n, dc_n: (B, H) extra gradients w.r.t. the final hidden and cell
            states, or None.

    Returns:
        ``LSTMGrads(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    grads, _ = sequence_backward(dh, cache, dh_n, dc_n)
    return grads


# The drivers below serve both this module and peephole_lstm.py.


def step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh, peepholes):
    """``lstm_step_forward`` with optional peepholes; same shapes."""
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    peepholes = _check_peepholes(peepholes, hidden)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    check_shape("c_prev", c_prev, (x.shape[0], hidden))
    a = x @ w_ih.T + h_prev @ w_hh.T
    if b_ih is not None:
        a += b_ih + b_hh
    gates, c_next, tanh_c, h_next = lstm_cell_forward(a, c_prev, peepholes)
    cache = LSTMStepCache(x, h_prev, c_prev, gates, c_next, tanh_c, w_ih, w_hh, b_ih is not None, peepholes)
    return h_next, c_next, cache


def step_backward(dh_next, dc_next, cache: LSTMStepCache):
    """``lstm_step_backward`` that also returns ``da`` (B, 4H), the gradient
    w.r.t. the gate pre-activations (the peephole gradients are built from it)."""
    check_shape("dh_next", dh_next, cache.c_prev.shape)
    check_shape("dc_next", dc_next, cache.c_prev.shape)
    da, dc_prev = lstm_cell_backward(dh_next, dc_next, cache.gates, cache.c_prev, cache.tanh_c, cache.peepholes)
    db = da.sum(axis=0) if cache.has_bias else None
    grads = LSTMStepGrads(
        dx=da @ cache.w_ih,
        dh_prev=da @ cache.w_hh,
        dc_prev=dc_prev,
        dw_ih=da.T @ cache.x,
        dw_hh=da.T @ cache.h_prev,
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )
    return grads, da


def sequence_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, peepholes):
    """``lstm_forward`` with optional peepholes; same shapes."""
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    peepholes = _check_peepholes(peepholes, hidden)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    steps, batch, _ = x.shape
    h0 = np.zeros((batch, hidden), dtype=x.dtype) if h0 is None else h0
    c0 = np.zeros((batch, hidden), dtype=x.dtype) if c0 is None else c0
    check_shape("h0", h0, (batch, hidden))
    check_shape("c0", c0, (batch, hidden))
    a = matmul_over_time(x, w_ih.T)  # (T, B, 4H): the input projection of every step at once
    if b_ih is not None:
        a += b_ih + b_hh
    gates = a  # turned into the activated gates step by step, in place
    h = np.empty((steps, batch, hidden), dtype=a.dtype)
    c = np.empty_like(h)
    tanh_c = np.empty_like(h)
    h_prev, c_prev = h0, c0
    for t in range(steps):
        a[t] += h_prev @ w_hh.T
        lstm_cell_forward(a[t], c_prev, peepholes, out=(gates[t], c[t], tanh_c[t], h[t]))
        h_prev, c_prev = h[t], c[t]
    cache = LSTMCache(x, h0, c0, h, c, gates, tanh_c, w_ih, w_hh, b_ih is not None, peepholes)
    return h, c, cache


def sequence_backward(dh, cache: LSTMCache, dh_n=None, dc_n=None):
    """``lstm_backward`` that also returns ``da`` (T, B, 4H), the gradient
    w.r.t. the gate pre-activations of every step."""
    h = cache.h
    check_shape("dh", dh, h.shape)
    steps, batch, hidden = h.shape
    dh_carry = np.zeros((batch, hidden), dtype=h.dtype) if dh_n is None else np.array(dh_n, dtype=h.dtype)
    dc_carry = np.zeros((batch, hidden), dtype=h.dtype) if dc_n is None else np.array(dc_n, dtype=h.dtype)
    check_shape("dh_n", dh_carry, (batch, hidden))
    check_shape("dc_n", dc_carry, (batch, hidden))
    da = np.empty_like(cache.gates)  # (T, B, 4H)
    for t in range(steps - 1, -1, -1):
        c_prev = cache.c[t - 1] if t > 0 else cache.c0
        _, dc_carry = lstm_cell_backward(
            dh[t] + dh_carry, dc_carry, cache.gates[t], c_prev, cache.tanh_c[t], cache.peepholes, out=da[t]
        )
        dh_carry = da[t] @ cache.w_hh
    da_flat = da.reshape(steps * batch, GATES * hidden)
    db = da_flat.sum(axis=0) if cache.has_bias else None
    grads = LSTMGrads(
        dx=matmul_over_time(da, cache.w_ih),
        dh0=dh_carry,
        dc0=dc_carry,
        dw_ih=da_flat.T @ cache.x.reshape(steps * batch, -1),
        dw_hh=recurrent_weight_grad(da, cache.h0, h),
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )
    return grads, da
