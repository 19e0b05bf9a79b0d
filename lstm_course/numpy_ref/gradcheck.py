"""Numerical gradient checking: centred differences and the relative error.

The check that every hand-written backward pass in the course must pass:
perturb one entry of an input by small steps, see how the output moves, and
compare with the analytic gradient. Use float64: in float32 the rounding
error of the difference quotient swamps everything else. Taught in
book/bptt.md, section "Checking the gradient numerically".
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

_DEFAULT_STEP = {2: 1e-5, 4: 1e-3}


def numerical_gradient(f: Callable[[], np.ndarray], x: np.ndarray, df, h: Optional[float] = None,
                       order: int = 4) -> np.ndarray:
    """Centred-difference gradient of ``sum(f() * df)`` with respect to ``x``.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place one
    entry at a time and always restored, even if ``f`` raises. With
    ``order=2`` this is the textbook formula, error O(h^2)::

        (f(x + h) - f(x - h)) / 2h

    With ``order=4`` (the default) it is the five-point formula, error O(h^4)::

        (-f(x + 2h) + 8 f(x + h) - 8 f(x - h) + f(x - 2h)) / 12h

    which at its best step (h = 1e-3) is about ten times more accurate than
    the textbook formula at its best (h = 1e-5): rounding error, not the
    formula, limits both, and gradient entries near 1e-5 need the margin to
    show a relative error below 1e-7.

    Args:
        f: function of no arguments returning an array of any shape S.
        x: floating array of any shape, the input to differentiate.
        df: array of shape S (or a scalar), the upstream gradient.
        h: step size; None for the default of the order (1e-5 or 1e-3).
        order: 2 or 4, the order of the truncation error.

    Returns:
        Array of the shape of ``x``: the gradient.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array to be perturbed in place, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"x must be a floating array, got dtype {x.dtype}")
    if order not in _DEFAULT_STEP:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    h = _DEFAULT_STEP[order] if h is None else h
    output = np.asarray(f())
    if np.ndim(df) != 0 and np.shape(df) != output.shape:
        raise ValueError(f"df must have the shape of f(), {output.shape}, got {np.shape(df)}")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]

        def difference(step):
            # f(x + step) - f(x - step), as one subtraction so that an output
            # that does not depend on x[index] gives exactly zero
            x[index] = saved + step
            plus = np.sum(np.asarray(f(), dtype=np.float64) * df)
            x[index] = saved - step
            return plus - np.sum(np.asarray(f(), dtype=np.float64) * df)

        try:
            if order == 2:
                grad[index] = difference(h) / (2 * h)
            else:
                grad[index] = (8 * difference(h) - difference(2 * h)) / (12 * h)
        finally:
            x[index] = saved
    return grad


def rel_error(a, b, eps: float = 1e-8) -> float:
    """Largest elementwise relative error ``|a - b| / max(|a| + |b|, eps)``.

    Below 1e-7 in float64 means a backward pass is right; around 1e-2 or
    more means it is wrong. ``eps`` keeps entries that are both (nearly) zero
    from dividing by zero. NaN or infinity anywhere gives ``inf``, so that
    both ``err < tol`` and ``err > tol`` read correctly.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))
