"""Numerically stable activations used by the NumPy reference.

``sigmoid`` and ``softmax`` never overflow, even for inputs of +-1000: the
textbook ``1 / (1 + exp(-x))`` overflows ``exp`` for x < -709 in float64
(x < -88 in float32) and ``exp(x) / sum(exp(x))`` overflows for large x.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), elementwise, any shape.

    Floating input keeps its dtype; integer input gives float64. Uses
    ``e = exp(-|x|)``, which lies in (0, 1], so nothing overflows:
    for x >= 0 the result is 1 / (1 + e), for x < 0 it is e / (1 + e).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    numerator = np.where(x >= 0, 1, e)
    e += 1
    return np.divide(numerator, e, out=e)


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
