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

Taught in book/variants.md#eq-var-peephole; the backward pass is
book/variants.md#eq-var-peephole-bptt. The functions mirror those of
``lstm.py`` line for line, with the peephole terms added.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights, state_or_zeros
from .activations import sigmoid


class PeepholeLSTMStepCache(NamedTuple):
    """What ``peephole_lstm_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D) input
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    i: np.ndarray  # (B, H) input gate
    f: np.ndarray  # (B, H) forget gate
    g: np.ndarray  # (B, H) cell candidate
    o: np.ndarray  # (B, H) output gate
    c_next: np.ndarray  # (B, H) the cell state the output gate read
    tanh_c: np.ndarray  # (B, H) tanh(c_next)
    w_ih: np.ndarray  # (4H, D)
    w_hh: np.ndarray  # (4H, H)
    w_ci: np.ndarray  # (H,)
    w_cf: np.ndarray  # (H,)
    w_co: np.ndarray  # (H,)
    has_bias: bool

    @property
    def gates(self) -> np.ndarray:
        """(B, 4H) the activated gates side by side, in the order i, f, g, o of ``w_ih``."""
        return np.concatenate([self.i, self.f, self.g, self.o], axis=-1)


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


class PeepholeLSTMCache(NamedTuple):
    """What ``peephole_lstm_backward`` needs from the forward pass: the cache of every step."""

    steps: list  # T PeepholeLSTMStepCache, in time order

    @property
    def gates(self) -> np.ndarray:
        """(T, B, 4H) the activated gates of every step, in the order i, f, g, o."""
        return np.stack([step.gates for step in self.steps])


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
        cache: ``PeepholeLSTMStepCache`` for ``peephole_lstm_step_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=4)
    for name, w in (("w_ci", w_ci), ("w_cf", w_cf), ("w_co", w_co)):
        check_shape(name, w, (hidden,))
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    check_shape("c_prev", c_prev, (x.shape[0], hidden))
    a = x @ w_ih.T + h_prev @ w_hh.T  # (B, 4H) pre-activations, without the peephole terms
    if b_ih is not None:
        a = a + b_ih + b_hh
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # (B, H) each
    i = sigmoid(a_i + w_ci * c_prev)  # the previous cell state, eq-var-peephole
    f = sigmoid(a_f + w_cf * c_prev)
    g = np.tanh(a_g)
    c_next = f * c_prev + i * g
    o = sigmoid(a_o + w_co * c_next)  # the new cell state
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    cache = PeepholeLSTMStepCache(x, h_prev, c_prev, i, f, g, o, c_next, tanh_c, w_ih, w_hh, w_ci, w_cf, w_co,
                                  b_ih is not None)
    return h_next, c_next, cache


def peephole_lstm_step_backward(dh_next, dc_next, cache: PeepholeLSTMStepCache) -> PeepholeLSTMStepGrads:
    """Backward pass of one peephole LSTM step.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        dc_next: (B, H) gradient w.r.t. ``c_next`` from later steps, not
            through ``h_next`` or the output gate.
        cache: from ``peephole_lstm_step_forward``.

    Returns:
        ``PeepholeLSTMStepGrads(dx, dh_prev, dc_prev, dw_ih, dw_hh, dw_ci,
        dw_cf, dw_co, db_ih, db_hh)``.
    """
    _require_peephole_cache(cache, PeepholeLSTMStepCache)
    x, h_prev, c_prev, i, f, g, o, c_next, tanh_c, w_ih, w_hh, w_ci, w_cf, w_co, has_bias = cache
    check_shape("dh_next", dh_next, c_prev.shape)
    check_shape("dc_next", dc_next, c_prev.shape)
    da_o = dh_next * tanh_c * o * (1 - o)  # first: it needs only dh_next, eq-var-peephole-bptt
    dc = dh_next * o * (1 - tanh_c**2) + w_co * da_o + dc_next  # (B, H) the output gate also read c_next
    da_i = dc * g * i * (1 - i)
    da_f = dc * c_prev * f * (1 - f)
    da_g = dc * i * (1 - g**2)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B, 4H)
    db = da.sum(axis=0) if has_bias else None  # b_ih and b_hh enter a alike
    return PeepholeLSTMStepGrads(
        dx=da @ w_ih,
        dh_prev=da @ w_hh,
        dc_prev=dc * f + w_ci * da_i + w_cf * da_f,
        dw_ih=da.T @ x,
        dw_hh=da.T @ h_prev,
        dw_ci=np.sum(da_i * c_prev, axis=0),
        dw_cf=np.sum(da_f * c_prev, axis=0),
        dw_co=np.sum(da_o * c_next, axis=0),
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )


def peephole_lstm_forward(x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, b_ih=None, b_hh=None):
    """Run the peephole LSTM over a whole sequence, one ``peephole_lstm_step_forward`` per step.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0, c0: (B, H) initial states, or None for zeros.
        w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh: as in
            ``peephole_lstm_step_forward``.

    Returns:
        h, c: (T, B, H) hidden and cell states at every step.
        cache: ``PeepholeLSTMCache`` for ``peephole_lstm_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=4)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_t = state_or_zeros("h0", h0, (x.shape[1], hidden), x.dtype)
    c_t = state_or_zeros("c0", c0, (x.shape[1], hidden), x.dtype)
    h, c, steps = [], [], []
    for x_t in x:
        h_t, c_t, step = peephole_lstm_step_forward(x_t, h_t, c_t, w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh)
        h.append(h_t)
        c.append(c_t)
        steps.append(step)
    return np.stack(h), np.stack(c), PeepholeLSTMCache(steps)


def peephole_lstm_backward(dh, cache: PeepholeLSTMCache, dh_n=None, dc_n=None) -> PeepholeLSTMGrads:
    """Backpropagation through time for ``peephole_lstm_forward``, one
    ``peephole_lstm_step_backward`` per step.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``peephole_lstm_forward``.
        dh_n, dc_n: (B, H) extra gradients w.r.t. the final states, or None.

    Returns:
        ``PeepholeLSTMGrads(dx, dh0, dc0, dw_ih, dw_hh, dw_ci, dw_cf, dw_co,
        db_ih, db_hh)``; the weight gradients are summed over the steps.
    """
    _require_peephole_cache(cache, PeepholeLSTMCache)
    first, last = cache.steps[0], cache.steps[-1]
    check_shape("dh", dh, (len(cache.steps),) + last.c_prev.shape)
    dh_next = state_or_zeros("dh_n", dh_n, last.c_prev.shape, last.c_prev.dtype)  # (B, H) from step t+1
    dc_next = state_or_zeros("dc_n", dc_n, last.c_prev.shape, last.c_prev.dtype)
    dx = np.empty(dh.shape[:2] + first.x.shape[1:], dtype=dh.dtype)  # (T, B, D)
    dw_ih, dw_hh = np.zeros_like(first.w_ih), np.zeros_like(first.w_hh)
    dw_ci, dw_cf, dw_co = np.zeros_like(first.w_ci), np.zeros_like(first.w_cf), np.zeros_like(first.w_co)
    db = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    for t in reversed(range(len(cache.steps))):
        step = peephole_lstm_step_backward(dh[t] + dh_next, dc_next, cache.steps[t])
        dx[t], dh_next, dc_next = step.dx, step.dh_prev, step.dc_prev
        dw_ih += step.dw_ih
        dw_hh += step.dw_hh
        dw_ci += step.dw_ci
        dw_cf += step.dw_cf
        dw_co += step.dw_co
        if db is not None:
            db += step.db_ih
    return PeepholeLSTMGrads(dx, dh_next, dc_next, dw_ih, dw_hh, dw_ci, dw_cf, dw_co, db,
                             None if db is None else db.copy())


def _require_peephole_cache(cache, expected) -> None:
    """Passing the cache of the plain LSTM is an easy mistake; say so instead of failing on a field."""
    if not isinstance(cache, expected):
        raise ValueError(f"peephole backward needs a {expected.__name__}, got a {type(cache).__name__}: a cache "
                         "from a plain LSTM forward goes to lstm_backward / lstm_step_backward")
