"""LSTM with peephole connections, forward and backward, in NumPy.

Gers, Schraudolph & Schmidhuber (2002) let the gates look at the cell state
through diagonal ("peephole") weights, so that they can time their openings
precisely. The input and forget gates see the *previous* cell state, the
output gate sees the *new* one, since it acts after the cell is updated
(this is the "vanilla LSTM" of Greff et al. 2017)::

    i_t = sigmoid(W_ii x_t + W_hi h_{t-1} + w_ci * c_{t-1} + b_i)
    f_t = sigmoid(W_if x_t + W_hf h_{t-1} + w_cf * c_{t-1} + b_f)
    g_t = tanh(W_ig x_t + W_hg h_{t-1} + b_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(W_io x_t + W_ho h_{t-1} + w_co * c_t + b_o)
    h_t = o_t * tanh(c_t)

``*`` is the elementwise product: each peephole weight ``w_ci, w_cf, w_co``
is a vector of shape (H,), not a matrix. With all three at zero this is the
LSTM of ``lstm.py``. The other weights follow ``torch.nn.LSTM``
(gate order i, f, g, o; ``b = b_ih + b_hh``).

Dimensions: T time steps, B batch, D input features, H hidden units.

Taught in the book's chapter on LSTM variants.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from .lstm import LSTMCache, LSTMStepCache, sequence_backward, sequence_forward, step_backward, step_forward


class PeepholeLSTMStepGrads(NamedTuple):
    """Gradients of one step; the bias entries are None without bias."""

    dx: np.ndarray  # (B, D)
    dh_prev: np.ndarray  # (B, H)
    dc_prev: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    dw_ci: np.ndarray  # (H,)
    dw_cf: np.ndarray  # (H,)
    dw_co: np.ndarray  # (H,)
    db_ih: Optional[np.ndarray]  # (4H,)
    db_hh: Optional[np.ndarray]  # (4H,)


class PeepholeLSTMGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dc0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    dw_ci: np.ndarray  # (H,)
    dw_cf: np.ndarray  # (H,)
    dw_co: np.ndarray  # (H,)
    db_ih: Optional[np.ndarray]  # (4H,)
    db_hh: Optional[np.ndarray]  # (4H,)


def _peephole_grads(da, c_prev, c_next):
    """Gradients of the three peephole vectors from the gate gradients ``da``
    (..., 4H), summed over every leading axis (batch, and time)."""
    hidden = c_prev.shape[-1]
    axes = tuple(range(da.ndim - 1))
    dw_ci = np.sum(da[..., :hidden] * c_prev, axis=axes)
    dw_cf = np.sum(da[..., hidden : 2 * hidden] * c_prev, axis=axes)
    dw_co = np.sum(da[..., 3 * hidden :] * c_next, axis=axes)
    return dw_ci, dw_cf, dw_co


def _require_peepholes(cache) -> None:
    if cache.peepholes is None:
        raise ValueError("this cache comes from a plain LSTM forward; use lstm_backward / lstm_step_backward")


def peephole_lstm_step_forward(x, h_prev, c_prev, w_ih, w_hh, w_ci, w_cf, w_co, b_ih=None, b_hh=None):
    """One time step of the peephole LSTM.

    Args:
        x: (B, D) input at this step.
        h_prev, c_prev: (B, H) previous hidden and cell states.
        w_ih: (4H, D), w_hh: (4H, H) weights, gates stacked i, f, g, o.
        w_ci, w_cf, w_co: (H,) peephole weights of the input, forget and
            output gates.
        b_ih, b_hh: (4H,) biases, or both None.

    Returns:
        h_next, c_next: (B, H) new hidden and cell states.
        cache: ``LSTMStepCache`` (with ``peepholes`` set) for
        ``peephole_lstm_step_backward``.
    """
    return step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh, peepholes=(w_ci, w_cf, w_co))


def peephole_lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache) -> PeepholeLSTMStepGrads:
    """Backward pass of one peephole LSTM step.

    Args:
        dh_next, dc_next: (B, H) gradients w.r.t. ``h_next`` and ``c_next``.
        cache: from ``peephole_lstm_step_forward``.

    Returns:
        ``PeepholeLSTMStepGrads(dx, dh_prev, dc_prev, dw_ih, dw_hh, dw_ci,
        dw_cf, dw_co, db_ih, db_hh)``.
    """
    _require_peepholes(cache)
    grads, da = step_backward(dh_next, dc_next, cache)
    dw_ci, dw_cf, dw_co = _peephole_grads(da, cache.c_prev, cache.c_next)
    return PeepholeLSTMStepGrads(*grads[:5], dw_ci, dw_cf, dw_co, *grads[5:])


def peephole_lstm_forward(x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, b_ih=None, b_hh=None):
    """Run the peephole LSTM over a whole sequence.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0, c0: (B, H) initial states, or None for zeros.
        w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh: as in
            ``peephole_lstm_step_forward``.

    Returns:
        h, c: (T, B, H) hidden and cell states at every step.
        cache: ``LSTMCache`` (with ``peepholes`` set) for ``peephole_lstm_backward``.
    """
    return sequence_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, peepholes=(w_ci, w_cf, w_co))


def peephole_lstm_backward(dh, cache: LSTMCache, dh_n=None, dc_n=None) -> PeepholeLSTMGrads:
    """Backpropagation through time for ``peephole_lstm_forward``.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``peephole_lstm_forward``.
        dh_n, dc_n: (B, H) extra gradients w.r.t. the final states, or None.

    Returns:
        ``PeepholeLSTMGrads(dx, dh0, dc0, dw_ih, dw_hh, dw_ci, dw_cf, dw_co,
        db_ih, db_hh)``.
    """
    _require_peepholes(cache)
    grads, da = sequence_backward(dh, cache, dh_n, dc_n)
    c_prev = np.concatenate([cache.c0[None], cache.c[:-1]])
    dw_ci, dw_cf, dw_co = _peephole_grads(da, c_prev, cache.c)
    return PeepholeLSTMGrads(*grads[:5], dw_ci, dw_cf, dw_co, *grads[5:])
