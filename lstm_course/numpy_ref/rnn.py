"""Elman recurrent network (Elman 1990), forward and backward, in NumPy.

One step, in the layout of ``torch.nn.RNN``::

    h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   phi = tanh or relu

Dimensions: T time steps, B batch, D input features, H hidden units.
Weights: ``w_ih (H, D)``, ``w_hh (H, H)``, ``b_ih (H,)``, ``b_hh (H,)``;
the biases may both be ``None`` (``bias=False`` in torch).

Taught in the book's chapter on recurrent neural networks.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._matmul import matmul_over_time, recurrent_weight_grad
from ._validation import as_float_array, check_shape, check_weights

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
    """What ``rnn_backward`` needs from the forward pass over a sequence."""

    x: np.ndarray  # (T, B, D)
    h0: np.ndarray  # (B, H)
    h: np.ndarray  # (T, B, H) all hidden states
    w_ih: np.ndarray
    w_hh: np.ndarray
    has_bias: bool
    nonlinearity: str


class RNNGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (H, D)
    dw_hh: np.ndarray  # (H, H)
    db_ih: Optional[np.ndarray]  # (H,)
    db_hh: Optional[np.ndarray]  # (H,)


def _activate(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


def _activation_backward(dh: np.ndarray, h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """Gradient w.r.t. the pre-activation, from the activation's output ``h``."""
    if nonlinearity == "tanh":
        return dh * (1 - h * h)
    return dh * (h > 0)


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
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Returns:
        h_next: (B, H) new hidden state.
        cache: ``RNNStepCache`` for ``rnn_step_backward``.
    """
    _check_nonlinearity(nonlinearity)
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=1)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    a = x @ w_ih.T + h_prev @ w_hh.T
    if b_ih is not None:
        a += b_ih + b_hh
    h_next = _activate(a, nonlinearity)
    return h_next, RNNStepCache(x, h_prev, h_next, w_ih, w_hh, b_ih is not None, nonlinearity)


def rnn_step_backward(dh_next, cache: RNNStepCache) -> RNNStepGrads:
    """Backward pass of one step.

    Args:
        dh_next: (B, H) gradient of the loss w.r.t. ``h_next``.
        cache: from ``rnn_step_forward``.

    Returns:
        ``RNNStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    check_shape("dh_next", dh_next, cache.h_next.shape)
    da = _activation_backward(dh_next, cache.h_next, cache.nonlinearity)  # (B, H)
    db = da.sum(axis=0) if cache.has_bias else None
    return RNNStepGrads(
        dx=da @ cache.w_ih,
        dh_prev=da @ cache.w_hh,
        dw_ih=da.T @ cache.x,
        dw_hh=da.T @ cache.h_prev,
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )


def rnn_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """Run the Elman RNN over a whole sequence.

    The input projection ``W_ih x_t + b`` is computed for all steps in one
    matrix product; only ``W_hh h_{t-1}`` must wait for the previous step.

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
    steps, batch, _ = x.shape
    h0 = np.zeros((batch, hidden), dtype=x.dtype) if h0 is None else h0
    check_shape("h0", h0, (batch, hidden))
    a = matmul_over_time(x, w_ih.T)  # (T, B, H), one matmul for every step
    if b_ih is not None:
        a += b_ih + b_hh
    h = np.empty_like(a)
    h_prev = h0
    for t in range(steps):
        a[t] += h_prev @ w_hh.T
        h[t] = _activate(a[t], nonlinearity)
        h_prev = h[t]
    return h, RNNCache(x, h0, h, w_ih, w_hh, b_ih is not None, nonlinearity)


def rnn_backward(dh, cache: RNNCache, dh_n=None) -> RNNGrads:
    """Backpropagation through time for ``rnn_forward``.

    Args:
        dh: (T, B, H) gradient of the loss w.r.t. every hidden state output.
        cache: from ``rnn_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``RNNGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    h, x = cache.h, cache.x
    check_shape("dh", dh, h.shape)
    steps, batch, hidden = h.shape
    da = np.empty_like(h)  # gradient w.r.t. each step's pre-activation
    dh_carry = np.zeros((batch, hidden), dtype=h.dtype) if dh_n is None else np.array(dh_n, dtype=h.dtype)
    check_shape("dh_n", dh_carry, (batch, hidden))
    for t in range(steps - 1, -1, -1):
        da[t] = _activation_backward(dh[t] + dh_carry, h[t], cache.nonlinearity)
        dh_carry = da[t] @ cache.w_hh
    da_flat = da.reshape(steps * batch, hidden)
    db = da_flat.sum(axis=0) if cache.has_bias else None
    return RNNGrads(
        dx=matmul_over_time(da, cache.w_ih),
        dh0=dh_carry,
        dw_ih=da_flat.T @ x.reshape(steps * batch, -1),
        dw_hh=recurrent_weight_grad(da, cache.h0, h),
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )
