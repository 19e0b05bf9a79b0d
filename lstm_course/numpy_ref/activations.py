"""Numerically stable activations used by the NumPy reference.

``sigmoid`` and ``softmax`` never overflow, even for inputs of +-1000: the
unguarded ``1 / (1 + exp(-x))`` overflows ``exp`` for x < -709 in float64
(x < -88 in float32) and ``exp(x) / sum(exp(x))`` overflows for large x.
The gates use them as in book/lstm.md#eq-lstm-activations.
"""

from __future__ import annotations

import numpy as np


_SIGMOID_LIMITS: dict = {}  # dtype -> clipping bound; np.finfo is slow to ask every step


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), elementwise, any shape.

    Floating input keeps its dtype; integer input gives float64. ``-x`` is
    first capped at 0.9 * (-log of the smallest normal number), 78.6 in
    float32 and 637.5 in float64, so ``exp(-x)`` cannot overflow and the
    result never becomes a (slow) subnormal number; below -78.6 (float32) the
    result is below 1e-34, zero to working precision. For large positive x,
    ``exp(-x)`` just goes to 0 and the result to 1. The formula has no
    cancellation for any x, and unlike the two-branch ``np.where`` form it
    costs one ``exp`` and no comparison.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    limit = _SIGMOID_LIMITS.get(x.dtype.type)
    if limit is None:
        limit = _SIGMOID_LIMITS.setdefault(x.dtype.type, -0.9 * np.log(np.finfo(x.dtype).tiny))
    out = np.negative(x)
    np.minimum(out, limit, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise (``np.tanh`` is already stable)."""
    return np.tanh(x)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), elementwise."""
    return np.maximum(x, 0)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) along ``axis``, computed as ``x - max - log(sum(exp(x - max)))``."""
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis``; the maximum is subtracted first."""
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
