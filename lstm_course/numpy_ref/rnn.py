"""Elman recurrent network (Elman 1990), forward and backward, in NumPy.

One step, in the layout of ``torch.nn.RNN``::

    h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   phi = tanh or relu

Dimensions: T time steps, B batch, D input features, H hidden units.
Weights: ``w_ih (H, D)``, ``w_hh (H, H)``, ``b_ih (H,)``, ``b_hh (H,)``;
the biases may both be ``None`` (``bias=False`` in torch).

Taught in book/rnn.md#eq-rnn; the backward pass, backpropagation through
time, is book/bptt.md#eq-bptt-delta and book/bptt.md#eq-bptt-weights.
Each forward returns its output and a ``NamedTuple`` cache; the sequence
functions loop over the step functions.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights, state_or_zeros

NONLINEARITIES = ("tanh", "relu")


class RNNStepCache(NamedTuple):
    """What ``rnn_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D) input
    h_prev: np.ndarray  # (B, H) previous hidden state
    h_next: np.ndarray  # (B, H) new hidden state phi(a)
    w_ih: np.ndarray  # (H, D)
    w_hh: np.ndarray  # (H, H)
    has_bias: bool
    nonlinearity: str


class RNNStepGrads(NamedTuple):
    """Gradients of one step; the bias entries are None without bias."""

    dx: np.ndarray  # (B, D)
    dh_prev: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (H, D)
    dw_hh: np.ndarray  # (H, H)
    db_ih: Optional[np.ndarray]  # (H,)
    db_hh: Optional[np.ndarray]  # (H,)


class RNNCache(NamedTuple):
    """What ``rnn_backward`` needs from the forward pass: the cache of every step."""

    steps: list  # T RNNStepCache, in time order


class RNNGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (H, D)
    dw_hh: np.ndarray  # (H, H)
    db_ih: Optional[np.ndarray]  # (H,)
    db_hh: Optional[np.ndarray]  # (H,)


def _check_nonlinearity(nonlinearity: str) -> None:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


def rnn_step_forward(x, h_prev, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One time step of the Elman RNN.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) hidden state of the previous step.
        w_ih: (H, D) input-to-hidden weights.
        w_hh: (H, H) hidden-to-hidden weights.
        b_ih, b_hh: (H,) biases, or both None.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``, as in ``torch.nn.RNN``.

    Returns:
        h_next: (B, H) new hidden state.
        cache: ``RNNStepCache`` for ``rnn_step_backward``.
    """
    _check_nonlinearity(nonlinearity)
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=1)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    a = x @ w_ih.T + h_prev @ w_hh.T  # (B, H) pre-activation, eq-rnn
    if b_ih is not None:
        a = a + b_ih + b_hh
    h_next = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h_next, RNNStepCache(x, h_prev, h_next, w_ih, w_hh, b_ih is not None, nonlinearity)


def rnn_step_backward(dh_next, cache: RNNStepCache) -> RNNStepGrads:
    """Backward pass of one step.

    Args:
        dh_next: (B, H) gradient of the loss w.r.t. ``h_next``.
        cache: from ``rnn_step_forward``.

    Returns:
        ``RNNStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    x, h_prev, h_next, w_ih, w_hh, has_bias, nonlinearity = cache
    check_shape("dh_next", dh_next, h_next.shape)
    if nonlinearity == "tanh":
        da = dh_next * (1 - h_next**2)  # (B, H) tanh' = 1 - tanh^2, eq-bptt-delta
    else:
        da = dh_next * (h_next > 0)  # relu' = 1 where the unit is on
    db = da.sum(axis=0) if has_bias else None  # b_ih and b_hh enter a alike
    return RNNStepGrads(
        dx=da @ w_ih,
        dh_prev=da @ w_hh,
        dw_ih=da.T @ x,
        dw_hh=da.T @ h_prev,
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )


def rnn_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """Run the Elman RNN over a whole sequence, one ``rnn_step_forward`` per step.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0: (B, H) initial hidden state, or None for zeros.
        w_ih, w_hh, b_ih, b_hh, nonlinearity: as in ``rnn_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step (``h[-1]`` is the final state).
        cache: ``RNNCache`` for ``rnn_backward``.
    """
    _check_nonlinearity(nonlinearity)
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=1)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_t = state_or_zeros("h0", h0, (x.shape[1], hidden), x.dtype)
    h, steps = [], []
    for x_t in x:
        h_t, step = rnn_step_forward(x_t, h_t, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        h.append(h_t)
        steps.append(step)
    return np.stack(h), RNNCache(steps)


def rnn_backward(dh, cache: RNNCache, dh_n=None) -> RNNGrads:
    """Backpropagation through time for ``rnn_forward``, one ``rnn_step_backward`` per step.

    Args:
        dh: (T, B, H) gradient of the loss w.r.t. every hidden state output.
        cache: from ``rnn_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``RNNGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)``; the weight
        gradients are summed over the steps.
    """
    first, last = cache.steps[0], cache.steps[-1]
    check_shape("dh", dh, (len(cache.steps),) + last.h_next.shape)
    dh_next = state_or_zeros("dh_n", dh_n, last.h_next.shape, last.h_next.dtype)  # (B, H) from step t+1
    dx = np.empty(dh.shape[:2] + first.x.shape[1:], dtype=dh.dtype)  # (T, B, D)
    dw_ih, dw_hh = np.zeros_like(first.w_ih), np.zeros_like(first.w_hh)
    db = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    for t in reversed(range(len(cache.steps))):
        step = rnn_step_backward(dh[t] + dh_next, cache.steps[t])
        dx[t], dh_next = step.dx, step.dh_prev
        dw_ih += step.dw_ih
        dw_hh += step.dw_hh
        if db is not None:
            db += step.db_ih
    return RNNGrads(dx, dh_next, dw_ih, dw_hh, db, None if db is None else db.copy())
