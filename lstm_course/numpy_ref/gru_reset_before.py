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

Taught in the book's chapter on gated recurrent units.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape, check_weights
from .activations import sigmoid
from .gru import GATES, GRUGrads, GRUStepGrads


class ResetBeforeStepCache(NamedTuple):
    """What ``gru_reset_before_step_backward`` needs from the forward step."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    gates: np.ndarray  # (B, 3H) activated r, z, n
    reset_h: np.ndarray  # (B, H) r_t * h_{t-1}, the input of W_hn
    w_ih: np.ndarray  # (3H, D)
    w_hh: np.ndarray  # (3H, H)
    has_bias: bool


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
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    x = as_float_array("x", x)
    check_shape("x", x, (None, features))
    check_shape("h_prev", h_prev, (x.shape[0], hidden))
    a = x @ w_ih.T  # (B, 3H): the input terms of r, z, n
    a[:, : 2 * hidden] += h_prev @ w_hh[: 2 * hidden].T  # recurrent terms of r and z only
    if b_ih is not None:
        a += b_ih + b_hh
    r = sigmoid(a[:, :hidden])
    z = sigmoid(a[:, hidden : 2 * hidden])
    reset_h = r * h_prev
    n = np.tanh(a[:, 2 * hidden :] + reset_h @ w_hh[2 * hidden :].T)  # a second product, after r
    h_next = (1 - z) * n + z * h_prev
    gates = np.concatenate([r, z, n], axis=1)
    return h_next, ResetBeforeStepCache(x, h_prev, gates, reset_h, w_ih, w_hh, b_ih is not None)


def gru_reset_before_step_backward(dh_next, cache: ResetBeforeStepCache) -> GRUStepGrads:
    """Backward pass of one step of Cho et al.'s GRU.

    Args:
        dh_next: (B, H) gradient w.r.t. ``h_next``.
        cache: from ``gru_reset_before_step_forward``.

    Returns:
        ``GRUStepGrads(dx, dh_prev, dw_ih, dw_hh, db_ih, db_hh)`` (``gru.py``).
    """
    check_shape("dh_next", dh_next, cache.h_prev.shape)
    hidden = cache.h_prev.shape[-1]
    gates, h_prev = cache.gates, cache.h_prev
    r, z, n = gates[:, :hidden], gates[:, hidden : 2 * hidden], gates[:, 2 * hidden :]
    w_hn = cache.w_hh[2 * hidden :]  # (H, H)
    da = np.empty_like(gates)  # (B, 3H) gradient w.r.t. the pre-activations of r, z, n
    da[:, 2 * hidden :] = dh_next * (1 - z) * (1 - n * n)
    da[:, hidden : 2 * hidden] = dh_next * (h_prev - n) * z * (1 - z)
    d_reset_h = da[:, 2 * hidden :] @ w_hn  # (B, H)
    da[:, :hidden] = d_reset_h * h_prev * r * (1 - r)
    dw_hh = np.empty_like(cache.w_hh)
    dw_hh[: 2 * hidden] = da[:, : 2 * hidden].T @ h_prev
    dw_hh[2 * hidden :] = da[:, 2 * hidden :].T @ cache.reset_h
    dh_prev = dh_next * z + d_reset_h * r + da[:, : 2 * hidden] @ cache.w_hh[: 2 * hidden]
    db = da.sum(axis=0) if cache.has_bias else None
    return GRUStepGrads(dx=da @ cache.w_ih, dh_prev=dh_prev, dw_ih=da.T @ cache.x, dw_hh=dw_hh,
                        db_ih=db, db_hh=None if db is None else db.copy())


class ResetBeforeCache(NamedTuple):
    """What ``gru_reset_before_backward`` needs: the cache of every step."""

    steps: list  # T ResetBeforeStepCache
    h: np.ndarray  # (T, B, H)


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
    hidden, features = check_weights(w_ih, w_hh, b_ih, b_hh, gates=GATES)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, features))
    h_prev = np.zeros((x.shape[1], hidden), dtype=x.dtype) if h0 is None else h0
    check_shape("h0", h_prev, (x.shape[1], hidden))
    states, caches = [], []
    for x_t in x:
        h_prev, cache = gru_reset_before_step_forward(x_t, h_prev, w_ih, w_hh, b_ih, b_hh)
        states.append(h_prev)
        caches.append(cache)
    h = np.stack(states)
    return h, ResetBeforeCache(caches, h)


def gru_reset_before_backward(dh, cache: ResetBeforeCache, dh_n: Optional[np.ndarray] = None) -> GRUGrads:
    """Backpropagation through time for ``gru_reset_before_forward``.

    Args:
        dh: (T, B, H) gradient w.r.t. every hidden state output.
        cache: from ``gru_reset_before_forward``.
        dh_n: (B, H) extra gradient w.r.t. the final state, or None.

    Returns:
        ``GRUGrads(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)`` (``gru.py``).
    """
    check_shape("dh", dh, cache.h.shape)
    dh_carry = np.zeros_like(cache.h[0]) if dh_n is None else np.array(dh_n, dtype=cache.h.dtype)
    check_shape("dh_n", dh_carry, cache.h[0].shape)
    dx = np.empty(cache.h.shape[:2] + cache.steps[0].x.shape[1:], dtype=cache.h.dtype)
    total = None
    for t in range(len(cache.steps) - 1, -1, -1):
        step = gru_reset_before_step_backward(dh[t] + dh_carry, cache.steps[t])
        dx[t], dh_carry = step.dx, step.dh_prev
        if total is None:
            total = step._asdict()
        else:
            for name in ("dw_ih", "dw_hh", "db_ih", "db_hh"):
                if total[name] is not None:
                    total[name] = total[name] + getattr(step, name)
    return GRUGrads(dx=dx, dh0=dh_carry, dw_ih=total["dw_ih"], dw_hh=total["dw_hh"],
                    db_ih=total["db_ih"], db_hh=total["db_hh"])
