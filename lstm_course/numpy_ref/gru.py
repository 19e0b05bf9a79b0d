"""Gated recurrent unit, forward and backward, in NumPy.

The GRU of Cho et al. (2014) in the form of ``torch.nn.GRU`` and cuDNN, gate
order r, z, n::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)      reset gate
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)      update gate
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))  candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The reset gate multiplies ``W_hn h_{t-1} + b_hn``, after the matrix product
("reset after"). Cho et al. apply it before: ``W_hn (r_t * h_{t-1})``. The two
are different functions; the "reset after" form lets one matrix product
``W_hh h_{t-1}`` serve all three gates, which is why cuDNN and PyTorch use it.

Dimensions: T time steps, B batch, D input features, H hidden units.
Weights stack the gates in the order r, z, n:
``w_ih (3H, D)``, ``w_hh (3H, H)``, ``b_ih (3H,)``, ``b_hh (3H,)``;
the biases may both be ``None``.

Taught in the book's chapter on gated recurrent units.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._matmul import matmul_over_time
from ._validation import as_float_array, check_shape, check_weights
from .activations import sigmoid

GATES = 3


class GRUStepCache(NamedTuple):
    """What ``gru_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    gates: np.ndarray  # (B, 3H) activated r, z, n
    hn: np.ndarray  # (B, H) W_hn h_prev + b_hn, before the reset gate
    w_ih: np.ndarray  # (3H, D)
    w_hh: np.ndarray  # (3H, H)
    has_bias: bool


class GRUStepGrads(NamedTuple):
    """Gradients of one step; the bias entries are None without bias."""

    dx: np.ndarray  # (B, D)
    dh_prev: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (3H, D)
    dw_hh: np.ndarray  # (3H, H)
    db_ih: Optional[np.ndarray]  # (3H,)
    db_hh: Optional[np.ndarray]  # (3H,)


class GRUCache(NamedTuple):
    """What ``gru_backward`` needs from the forward pass over a sequence."""

    x: np.ndarray  # (T, B, D)
    h0: np.ndarray  # (B, H)
    h: np.ndarray  # (T, B, H)
    gates: np.ndarray  # (T, B, 3H) activated r, z, n
    hn: np.ndarray  # (T, B, H) W_hn h_{t-1} + b_hn
    w_ih: np.ndarray
    w_hh: np.ndarray
    has_bias: bool


class GRUGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (3H, D)
    dw_hh: np.ndarray  # (3H, H)
    db_ih: Optional[np.ndarray]  # (3H,)
    db_hh: Optional[np.ndarray]  # (3H,)


def gru_cell_forward(ax, ah, h_prev):
    """Pointwise part of a GRU step.

    Args:
        ax: (B, 3H) input projections ``W_ih x + b_ih`` (r, z, n).
        ah: (B, 3H) hidden projections ``W_hh h_prev + b_hh`` (r, z, n).
        h_prev: (B, H) previous hidden state.

    Returns:
        gates: (B, 3H) activated r, z, n.
        h_next: (B, H) new hidden state.
    """
    hidden = h_prev.shape[-1]
    gates = np.empty_like(ax)
    gates[:, : 2 * hidden] = sigmoid(ax[:, : 2 * hidden] + ah[:, : 2 * hidden])
    r, z = gates[:, :hidden], gates[:, hidden : 2 * hidden]
    gates[:, 2 * hidden :] = np.tanh(ax[:, 2 * hidden :] + r * ah[:, 2 * hidden :])
    n = gates[:, 2 * hidden :]
    return gates, n + z * (h_prev - n)


def gru_cell_backward(dh_next, gates, hn, h_prev, dax_out=None, dah_out=None):
    """Backward of ``gru_cell_forward``.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        gates: (B, 3H) from the forward.
        hn: (B, H) the n-part of ``ah``, ``W_hn h_prev + b_hn``.
        h_prev: (B, H) previous hidden state.
        dax_out, dah_out: optional (B, 3H) arrays to write the results into.

    Returns:
        dax: (B, 3H) gradient w.r.t. ``ax``.
        dah: (B, 3H) gradient w.r.t. ``ah``.
        dh_direct: (B, H) gradient w.r.t. ``h_prev`` through ``z * h_prev``
            only (the path through ``W_hh`` is ``dah @ w_hh``).
    """
    hidden = h_prev.shape[-1]
    r, z, n = gates[:, :hidden], gates[:, hidden : 2 * hidden], gates[:, 2 * hidden :]
    dax = np.empty_like(gates) if dax_out is None else dax_out
    dah = np.empty_like(gates) if dah_out is None else dah_out
    dan = dh_next * (1 - z) * (1 - n * n)  # through n = tanh(a_n)
    dax[:, :hidden] = dan * hn * r * (1 - r)  # r enters through r * hn
    dax[:, hidden : 2 * hidden] = dh_next * (h_prev - n) * z * (1 - z)
    dax[:, 2 * hidden :] = dan
    dah[:, : 2 * hidden] = dax[:, : 2 * hidden]
    dah[:, 2 * hidden :] = dan * r
    return dax, dah, dh_next * z


def gru_step_forward(x, h_prev, w_ih, w_hh, b_ih=None, b_hh=None):
    """One time step of the GRU.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) previous hidden state.
        w_ih: (3H, D), w_hh: (3H, H) weights, gates stacked r, z, n.
        b_ih, b_hh: (3H,) biases, or both None.

    Returns:
        h_next: (B, H) new hidden state.
        cache: ``GRUStepCache`` for ``gru_step_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    ax = x @ w_ih.T
    ah = h_prev @ w_hh.T
    if b_ih is not None:
        ax += b_ih
        ah += b_hh
    gates, h_next = gru_cell_forward(ax, ah, h_prev)
    cache = GRUStepCache(x, h_prev, gates, ah[:, 2 * hidden :], w_ih, w_hh, b_ih is not None)
    return h_next, cache


def gru_step_backward(dh_next, cache: GRUStepCache) -> GRUStepGrads:
    """Backward pass of one GRU step.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        cache: from ``gru_step_forward``.

    Returns:
        ``GRUStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    check_shape("dh_next", dh_next, cache.h_prev.shape)
    dax, dah, dh_direct = gru_cell_backward(dh_next, cache.gates, cache.hn, cache.h_prev)
    return GRUStepGrads(
        dx=dax @ cache.w_ih,
        dh_prev=dh_direct + dah @ cache.w_hh,
        dw_ih=dax.T @ cache.x,
        dw_hh=dah.T @ cache.h_prev,
        db_ih=dax.sum(axis=0) if cache.has_bias else None,
        db_hh=dah.sum(axis=0) if cache.has_bias else None,
    )


def gru_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Run the GRU over a whole sequence.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0: (B, H) initial hidden state, or None for zeros.
        w_ih, w_hh, b_ih, b_hh: as in ``gru_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step (``h[-1]`` is ``h_n``).
        cache: ``GRUCache`` for ``gru_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    steps, batch, _ = x.shape
    h0 = np.zeros((batch, hidden), dtype=x.dtype) if h0 is None else h0
    check_shape("h0", h0, (batch, hidden))
    ax = matmul_over_time(x, w_ih.T)  # (T, B, 3H): the input projection of every step at once
    if b_ih is not None:
        ax += b_ih
    dtype = ax.dtype
    gates = np.empty_like(ax)
    h = np.empty((steps, batch, hidden), dtype=dtype)
    hn = np.empty_like(h)
    h_prev = h0
    for t in range(steps):
        ah = h_prev @ w_hh.T
        if b_hh is not None:
            ah += b_hh
        gates[t], h[t] = gru_cell_forward(ax[t], ah, h_prev)
        hn[t] = ah[:, 2 * hidden :]
        h_prev = h[t]
    return h, GRUCache(x, h0, h, gates, hn, w_ih, w_hh, b_ih is not None)


def gru_backward(dh, cache: GRUCache, dh_n=None) -> GRUGrads:
    """Backpropagation through time for ``gru_forward``.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``gru_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``GRUGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    h = cache.h
    check_shape("dh", dh, h.shape)
    steps, batch, hidden = h.shape
    dh_carry = np.zeros((batch, hidden), dtype=h.dtype) if dh_n is None else np.array(dh_n, dtype=h.dtype)
    check_shape("dh_n", dh_carry, (batch, hidden))
    h_prev = np.concatenate([cache.h0[None], h[:-1]])  # (T, B, H) state entering each step
    dax = np.empty_like(cache.gates)  # (T, B, 3H)
    dah = np.empty_like(cache.gates)
    for t in range(steps - 1, -1, -1):
        _, _, dh_direct = gru_cell_backward(
            dh[t] + dh_carry, cache.gates[t], cache.hn[t], h_prev[t], dax_out=dax[t], dah_out=dah[t]
        )
        dh_carry = dh_direct + dah[t] @ cache.w_hh
    dax_flat = dax.reshape(steps * batch, GATES * hidden)
    dah_flat = dah.reshape(steps * batch, GATES * hidden)
    return GRUGrads(
        dx=matmul_over_time(dax, cache.w_ih),
        dh0=dh_carry,
        dw_ih=dax_flat.T @ cache.x.reshape(steps * batch, -1),
        dw_hh=dah_flat.T @ h_prev.reshape(steps * batch, hidden),
        db_ih=dax_flat.sum(axis=0) if cache.has_bias else None,
        db_hh=dah_flat.sum(axis=0) if cache.has_bias else None,
    )
