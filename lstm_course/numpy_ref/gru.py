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

Taught in book/gru.md#eq-gru-candidate-after (with book/gru.md#eq-gru-reset-update
and book/gru.md#eq-gru-interpolation); the backward pass is
book/gru.md#eq-gru-bptt-gates. Each forward returns its output and a
``NamedTuple`` cache; the sequence functions loop over the step functions.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights, state_or_zeros
from .activations import sigmoid


class GRUStepCache(NamedTuple):
    """What ``gru_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    n: np.ndarray  # (B, H) candidate
    hn: np.ndarray  # (B, H) W_hn h_prev + b_hn, the block the reset gate multiplies
    w_ih: np.ndarray  # (3H, D)
    w_hh: np.ndarray  # (3H, H)
    has_bias: bool

    @property
    def gates(self) -> np.ndarray:
        """(B, 3H) the activated gates side by side, in the order r, z, n of ``w_ih``."""
        return np.concatenate([self.r, self.z, self.n], axis=-1)


class GRUStepGrads(NamedTuple):
    """Gradients of one step; the bias entries are None without bias."""

    dx: np.ndarray  # (B, D)
    dh_prev: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (3H, D)
    dw_hh: np.ndarray  # (3H, H)
    db_ih: Optional[np.ndarray]  # (3H,)
    db_hh: Optional[np.ndarray]  # (3H,)


class GRUCache(NamedTuple):
    """What ``gru_backward`` needs from the forward pass: the cache of every step."""

    steps: list  # T GRUStepCache, in time order

    @property
    def gates(self) -> np.ndarray:
        """(T, B, 3H) the activated gates of every step, in the order r, z, n."""
        return np.stack([step.gates for step in self.steps])


class GRUGrads(NamedTuple):
    """Gradients of a whole sequence; the bias entries are None without bias."""

    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dw_ih: np.ndarray  # (3H, D)
    dw_hh: np.ndarray  # (3H, H)
    db_ih: Optional[np.ndarray]  # (3H,)
    db_hh: Optional[np.ndarray]  # (3H,)


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
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=3)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    ax = x @ w_ih.T  # (B, 3H) input projection
    ah = h_prev @ w_hh.T  # (B, 3H) hidden projection, one product for all three blocks
    if b_ih is not None:
        ax = ax + b_ih
        ah = ah + b_hh
    ax_r, ax_z, ax_n = np.split(ax, 3, axis=1)  # (B, H) each
    ah_r, ah_z, ah_n = np.split(ah, 3, axis=1)
    r = sigmoid(ax_r + ah_r)  # eq-gru-reset-update
    z = sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)  # reset after the product, eq-gru-candidate-after
    h_next = (1 - z) * n + z * h_prev  # eq-gru-interpolation
    return h_next, GRUStepCache(x, h_prev, r, z, n, ah_n, w_ih, w_hh, b_ih is not None)


def gru_step_backward(dh_next, cache: GRUStepCache) -> GRUStepGrads:
    """Backward pass of one GRU step.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        cache: from ``gru_step_forward``.

    Returns:
        ``GRUStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    x, h_prev, r, z, n, hn, w_ih, w_hh, has_bias = cache
    check_shape("dh_next", dh_next, h_prev.shape)
    da_n = dh_next * (1 - z) * (1 - n**2)  # (B, H) the whole argument of the tanh, eq-gru-bptt-gates
    da_z = dh_next * (h_prev - n) * z * (1 - z)
    da_r = da_n * hn * r * (1 - r)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H) gradient of the input projection
    dah = np.concatenate([da_r, da_z, r * da_n], axis=1)  # (B, 3H) of the hidden projection
    return GRUStepGrads(
        dx=dax @ w_ih,
        dh_prev=z * dh_next + dah @ w_hh,  # directly through z * h_prev, and through W_hh
        dw_ih=dax.T @ x,
        dw_hh=dah.T @ h_prev,
        db_ih=dax.sum(axis=0) if has_bias else None,
        db_hh=dah.sum(axis=0) if has_bias else None,
    )


def gru_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Run the GRU over a whole sequence, one ``gru_step_forward`` per step.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0: (B, H) initial hidden state, or None for zeros.
        w_ih, w_hh, b_ih, b_hh: as in ``gru_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step (``h[-1]`` is ``h_n``).
        cache: ``GRUCache`` for ``gru_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=3)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_t = state_or_zeros("h0", h0, (x.shape[1], hidden), x.dtype)
    h, steps = [], []
    for x_t in x:
        h_t, step = gru_step_forward(x_t, h_t, w_ih, w_hh, b_ih, b_hh)
        h.append(h_t)
        steps.append(step)
    return np.stack(h), GRUCache(steps)


def gru_backward(dh, cache: GRUCache, dh_n=None) -> GRUGrads:
    """Backpropagation through time for ``gru_forward``, one ``gru_step_backward`` per step.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``gru_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``GRUGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)``; the weight
        gradients are summed over the steps.
    """
    first, last = cache.steps[0], cache.steps[-1]
    check_shape("dh", dh, (len(cache.steps),) + last.h_prev.shape)
    dh_next = state_or_zeros("dh_n", dh_n, last.h_prev.shape, last.h_prev.dtype)  # (B, H) from step t+1
    dx = np.empty(dh.shape[:2] + first.x.shape[1:], dtype=dh.dtype)  # (T, B, D)
    dw_ih, dw_hh = np.zeros_like(first.w_ih), np.zeros_like(first.w_hh)
    db_ih = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    db_hh = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    for t in reversed(range(len(cache.steps))):
        step = gru_step_backward(dh[t] + dh_next, cache.steps[t])
        dx[t], dh_next = step.dx, step.dh_prev
        dw_ih += step.dw_ih
        dw_hh += step.dw_hh
        if first.has_bias:
            db_ih += step.db_ih
            db_hh += step.db_hh
    return GRUGrads(dx, dh_next, dw_ih, dw_hh, db_ih, db_hh)
