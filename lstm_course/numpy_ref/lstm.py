"""Long short-term memory with a forget gate, forward and backward, in NumPy.

The LSTM of Hochreiter & Schmidhuber (1997) with the forget gate of Gers,
Schmidhuber & Cummins (2000), in the layout and gate order of ``torch.nn.LSTM``
(book/lstm.md#eq-lstm-preact to book/lstm.md#eq-lstm-out)::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh      pre-activations, blocks i, f, g, o
    i_t = sigmoid(a^i_t)                              input gate
    f_t = sigmoid(a^f_t)                              forget gate
    g_t = tanh(a^g_t)                                 cell candidate
    o_t = sigmoid(a^o_t)                              output gate
    c_t = f_t * c_{t-1} + i_t * g_t                   (book/lstm.md#eq-lstm-forget)
    h_t = o_t * tanh(c_t)

The backward pass is book/lstm.md#eq-lstm-bptt-c and book/lstm.md#eq-lstm-bptt-gates.

Dimensions: T time steps, B batch, D input features, H hidden units.
Weights stack the four gates in the order i, f, g, o:
``w_ih (4H, D)``, ``w_hh (4H, H)``, ``b_ih (4H,)``, ``b_hh (4H,)``;
the biases may both be ``None``. The peephole LSTM is in ``peephole_lstm.py``.

Each forward returns its outputs, then a ``NamedTuple`` cache: the LSTM has two
states, so ``lstm_step_forward`` returns ``(h_next, c_next, cache)`` and
``lstm_forward`` returns ``(h, c, cache)``. The sequence functions loop over the
step functions.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights, state_or_zeros
from .activations import sigmoid


class LSTMStepCache(NamedTuple):
    """What ``lstm_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D) input
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    i: np.ndarray  # (B, H) input gate
    f: np.ndarray  # (B, H) forget gate
    g: np.ndarray  # (B, H) cell candidate
    o: np.ndarray  # (B, H) output gate
    tanh_c: np.ndarray  # (B, H) tanh(c_next)
    w_ih: np.ndarray  # (4H, D)
    w_hh: np.ndarray  # (4H, H)
    has_bias: bool

    @property
    def gates(self) -> np.ndarray:
        """(B, 4H) the activated gates side by side, in the order i, f, g, o of ``w_ih``."""
        return np.concatenate([self.i, self.f, self.g, self.o], axis=-1)


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
    """What ``lstm_backward`` needs from the forward pass: the cache of every step."""

    steps: list  # T LSTMStepCache, in time order

    @property
    def gates(self) -> np.ndarray:
        """(T, B, 4H) the activated gates of every step, in the order i, f, g, o."""
        return np.stack([step.gates for step in self.steps])


class LSTMGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dc0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    db_ih: Optional[np.ndarray]  # (4H,)
    db_hh: Optional[np.ndarray]  # (4H,)


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
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=4)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    check_shape("c_prev", c_prev, (x.shape[0], hidden))
    a = x @ w_ih.T + h_prev @ w_hh.T  # (B, 4H) pre-activations, eq-lstm-preact
    if b_ih is not None:
        a = a + b_ih + b_hh
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # (B, H) each
    i = sigmoid(a_i)  # eq-lstm-activations
    f = sigmoid(a_f)
    g = np.tanh(a_g)
    o = sigmoid(a_o)
    c_next = f * c_prev + i * g  # eq-lstm-forget
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c  # eq-lstm-out
    cache = LSTMStepCache(x, h_prev, c_prev, i, f, g, o, tanh_c, w_ih, w_hh, b_ih is not None)
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache) -> LSTMStepGrads:
    """Backward pass of one LSTM step.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        dc_next: (B, H) gradient w.r.t. ``c_next`` from later steps, not
            through ``h_next`` (zeros at the last step when the loss does not
            read the cell state).
        cache: from ``lstm_step_forward``.

    Returns:
        ``LSTMStepGrads(dx, dh_prev, dc_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, w_ih, w_hh, has_bias = cache
    check_shape("dh_next", dh_next, c_prev.shape)
    check_shape("dc_next", dc_next, c_prev.shape)
    dc = dh_next * o * (1 - tanh_c**2) + dc_next  # (B, H) through h_next and from step t+1, eq-lstm-bptt-c
    da_i = dc * g * i * (1 - i)  # eq-lstm-bptt-gates
    da_f = dc * c_prev * f * (1 - f)
    da_g = dc * i * (1 - g**2)
    da_o = dh_next * tanh_c * o * (1 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B, 4H)
    db = da.sum(axis=0) if has_bias else None  # b_ih and b_hh enter a alike
    return LSTMStepGrads(
        dx=da @ w_ih,
        dh_prev=da @ w_hh,
        dc_prev=dc * f,
        dw_ih=da.T @ x,  # this step's terms of eq-lstm-bptt-weights
        dw_hh=da.T @ h_prev,
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Run the LSTM over a whole sequence, one ``lstm_step_forward`` per step.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0, c0: (B, H) initial hidden and cell states, or None for zeros.
        w_ih, w_hh, b_ih, b_hh: as in ``lstm_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step (``h[-1]`` is ``h_n``).
        c: (T, B, H) cell state at every step (``c[-1]`` is ``c_n``).
        cache: ``LSTMCache`` for ``lstm_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=4)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_t = state_or_zeros("h0", h0, (x.shape[1], hidden), x.dtype)
    c_t = state_or_zeros("c0", c0, (x.shape[1], hidden), x.dtype)
    h, c, steps = [], [], []
    for x_t in x:
        h_t, c_t, step = lstm_step_forward(x_t, h_t, c_t, w_ih, w_hh, b_ih, b_hh)
        h.append(h_t)
        c.append(c_t)
        steps.append(step)
    return np.stack(h), np.stack(c), LSTMCache(steps)


def lstm_backward(dh, cache: LSTMCache, dh_n=None, dc_n=None) -> LSTMGrads:
    """Backpropagation through time for ``lstm_forward``, one ``lstm_step_backward`` per step.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``lstm_forward``.
        dh_n, dc_n: (B, H) extra gradients w.r.t. the final hidden and cell
            states, or None.

    Returns:
        ``LSTMGrads(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)``; the weight
        gradients are summed over the steps.
    """
    first, last = cache.steps[0], cache.steps[-1]
    check_shape("dh", dh, (len(cache.steps),) + last.c_prev.shape)
    dh_next = state_or_zeros("dh_n", dh_n, last.c_prev.shape, last.c_prev.dtype)  # (B, H) from step t+1
    dc_next = state_or_zeros("dc_n", dc_n, last.c_prev.shape, last.c_prev.dtype)
    dx = np.empty(dh.shape[:2] + first.x.shape[1:], dtype=dh.dtype)  # (T, B, D)
    dw_ih = np.zeros_like(first.w_ih)
    dw_hh = np.zeros_like(first.w_hh)
    db = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    for t in reversed(range(len(cache.steps))):
        step = lstm_step_backward(dh[t] + dh_next, dc_next, cache.steps[t])
        dx[t], dh_next, dc_next = step.dx, step.dh_prev, step.dc_prev
        dw_ih += step.dw_ih
        dw_hh += step.dw_hh
        if db is not None:
            db += step.db_ih
    return LSTMGrads(dx, dh_next, dc_next, dw_ih, dw_hh, db, None if db is None else db.copy())
