"""The GRU of Cho et al. (2014), reset gate *before* the matrix product, in NumPy.

The GRU as published by Cho et al. (EMNLP 2014, section 2.3) resets the state
before it is multiplied by the recurrent weights of the candidate::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate
    n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)   candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

``gru.py`` holds the form of ``torch.nn.GRU`` and cuDNN, which resets after
the product, ``r_t * (W_hn h_{t-1} + b_hn)``. Both take the same arrays
(gate order r, z, n; ``w_ih (3H, D)``, ``w_hh (3H, H)``, ``b_ih``, ``b_hh
(3H,)``), so the two can be run on the same weights: they agree where
``r_t = 1`` and differ everywhere else. Here ``b_hn`` is not reset; only
``b_in + b_hn`` matters, as for the other gates. The paper writes the
equations without biases.

Dimensions: T time steps, B batch, D input features, H hidden units.
The biases may both be ``None``.

Taught in book/gru.md#eq-gru-candidate-before. Each forward returns its
output and a ``NamedTuple`` cache; the sequence functions loop over the step
functions.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights, state_or_zeros
from .activations import sigmoid
from .gru import GRUGrads, GRUStepGrads


class ResetBeforeStepCache(NamedTuple):
    """What ``gru_reset_before_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    n: np.ndarray  # (B, H) candidate
    reset_h: np.ndarray  # (B, H) r_t * h_{t-1}, the input of W_hn
    w_ih: np.ndarray  # (3H, D)
    w_hh: np.ndarray  # (3H, H)
    has_bias: bool

    @property
    def gates(self) -> np.ndarray:
        """(B, 3H) the activated gates side by side, in the order r, z, n of ``w_ih``."""
        return np.concatenate([self.r, self.z, self.n], axis=-1)


class ResetBeforeCache(NamedTuple):
    """What ``gru_reset_before_backward`` needs from the forward pass: the cache of every step."""

    steps: list  # T ResetBeforeStepCache, in time order


def gru_reset_before_step_forward(x, h_prev, w_ih, w_hh, b_ih=None, b_hh=None):
    """One time step of Cho et al.'s GRU.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) previous hidden state.
        w_ih: (3H, D), w_hh: (3H, H) weights, gates stacked r, z, n.
        b_ih, b_hh: (3H,) biases, or both None.

    Returns:
        h_next: (B, H) new hidden state.
        cache: ``ResetBeforeStepCache`` for ``gru_reset_before_step_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=3)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    w_hr, w_hz, w_hn = np.split(w_hh, 3, axis=0)  # (H, H) each
    a = x @ w_ih.T  # (B, 3H) the input terms of r, z, n
    if b_ih is not None:
        a = a + b_ih + b_hh
    a_r, a_z, a_n = np.split(a, 3, axis=1)  # (B, H) each
    r = sigmoid(a_r + h_prev @ w_hr.T)  # eq-gru-reset-update
    z = sigmoid(a_z + h_prev @ w_hz.T)
    reset_h = r * h_prev
    n = np.tanh(a_n + reset_h @ w_hn.T)  # a second product, after r: eq-gru-candidate-before
    h_next = (1 - z) * n + z * h_prev  # eq-gru-interpolation
    return h_next, ResetBeforeStepCache(x, h_prev, r, z, n, reset_h, w_ih, w_hh, b_ih is not None)


def gru_reset_before_step_backward(dh_next, cache: ResetBeforeStepCache) -> GRUStepGrads:
    """Backward pass of one step of Cho et al.'s GRU.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        cache: from ``gru_reset_before_step_forward``.

    Returns:
        ``GRUStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)`` (``gru.py``).
    """
    x, h_prev, r, z, n, reset_h, w_ih, w_hh, has_bias = cache
    check_shape("dh_next", dh_next, h_prev.shape)
    w_hr, w_hz, w_hn = np.split(w_hh, 3, axis=0)  # (H, H) each
    da_n = dh_next * (1 - z) * (1 - n**2)  # (B, H) the whole argument of the tanh
    da_z = dh_next * (h_prev - n) * z * (1 - z)
    d_reset_h = da_n @ w_hn  # (B, H)
    da_r = d_reset_h * h_prev * r * (1 - r)
    da = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H)
    db = da.sum(axis=0) if has_bias else None  # b_ih and b_hh enter a alike
    return GRUStepGrads(
        dx=da @ w_ih,
        dh_prev=z * dh_next + r * d_reset_h + da_r @ w_hr + da_z @ w_hz,
        dw_ih=da.T @ x,
        dw_hh=np.concatenate([da_r.T @ h_prev, da_z.T @ h_prev, da_n.T @ reset_h]),
        db_ih=db,
        db_hh=None if db is None else db.copy(),
    )


def gru_reset_before_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """Run Cho et al.'s GRU over a whole sequence, one step at a time.

    Args:
        x: (T, B, D) input sequence, time-major.
        h0: (B, H) initial hidden state, or None for zeros.
        w_ih, w_hh, b_ih, b_hh: as in ``gru_reset_before_step_forward``.

    Returns:
        h: (T, B, H) hidden state at every step.
        cache: ``ResetBeforeCache`` for ``gru_reset_before_backward``.
    """
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=3)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_t = state_or_zeros("h0", h0, (x.shape[1], hidden), x.dtype)
    h, steps = [], []
    for x_t in x:
        h_t, step = gru_reset_before_step_forward(x_t, h_t, w_ih, w_hh, b_ih, b_hh)
        h.append(h_t)
        steps.append(step)
    return np.stack(h), ResetBeforeCache(steps)


def gru_reset_before_backward(dh, cache: ResetBeforeCache, dh_n: Optional[np.ndarray] = None) -> GRUGrads:
    """Backpropagation through time for ``gru_reset_before_forward``.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``gru_reset_before_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``GRUGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)`` (``gru.py``); the
        weight gradients are summed over the steps.
    """
    first, last = cache.steps[0], cache.steps[-1]
    check_shape("dh", dh, (len(cache.steps),) + last.h_prev.shape)
    dh_next = state_or_zeros("dh_n", dh_n, last.h_prev.shape, last.h_prev.dtype)  # (B, H) from step t+1
    dx = np.empty(dh.shape[:2] + first.x.shape[1:], dtype=dh.dtype)  # (T, B, D)
    dw_ih, dw_hh = np.zeros_like(first.w_ih), np.zeros_like(first.w_hh)
    db = np.zeros(first.w_hh.shape[0], dtype=dw_hh.dtype) if first.has_bias else None
    for t in reversed(range(len(cache.steps))):
        step = gru_reset_before_step_backward(dh[t] + dh_next, cache.steps[t])
        dx[t], dh_next = step.dx, step.dh_prev
        dw_ih += step.dw_ih
        dw_hh += step.dw_hh
        if db is not None:
            db += step.db_ih
    return GRUGrads(dx, dh_next, dw_ih, dw_hh, db, None if db is None else db.copy())
