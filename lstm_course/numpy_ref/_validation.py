"""Argument checks shared by the NumPy reference.

Every check raises ``ValueError`` or ``TypeError`` with a message that names
the argument, what was expected and what was given, so that a student who
passes a transposed weight learns that from the error, not from a wrong answer.
"""

from __future__ import annotations

import numpy as np


def as_float_array(name: str, value, dtype=None) -> np.ndarray:
    """Return ``value`` as a real floating array (``dtype`` if given).

    Raises ``TypeError`` for non-numeric or complex input.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind != "f":
        return array.astype(np.float64)
    return array


def check_shape(name: str, array: np.ndarray, expected: tuple) -> None:
    """Raise ``ValueError`` unless ``array.shape == expected``.

    ``expected`` may hold ``None`` for a dimension that is free.
    """
    shape = np.shape(array)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        pretty = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {pretty}, got {tuple(shape)}")


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise ``ValueError`` if ``array`` holds NaN or infinity."""
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite value(s)")


def check_weights(w_ih, w_hh, b_ih, b_hh, gates: int) -> tuple[int, int]:
    """Check the ``torch.nn`` weight layout and return ``(H, D)``.

    Expected shapes: ``w_ih (G*H, D)``, ``w_hh (G*H, H)``, ``b_ih (G*H,)``,
    ``b_hh (G*H,)`` with G = ``gates``; the biases are both given or both None.
    """
    w_hh = np.asarray(w_hh)
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(
            f"w_hh must have shape ({gates}*H, H) = (G*H, H) with G={gates} gates, got {w_hh.shape}"
        )
    hidden = w_hh.shape[1]
    check_shape("w_ih", w_ih, (gates * hidden, None))
    if (b_ih is None) != (b_hh is None):
        raise ValueError("b_ih and b_hh must be both given or both None")
    if b_ih is not None:
        check_shape("b_ih", b_ih, (gates * hidden,))
        check_shape("b_hh", b_hh, (gates * hidden,))
    return hidden, np.shape(w_ih)[1]


def state_or_zeros(name: str, value, shape: tuple, dtype) -> np.ndarray:
    """``value`` checked to have ``shape`` (B, H), or zeros of that shape for None.

    Initial states (``h0``, ``c0``) and the gradients arriving at the final
    states (``dh_n``, ``dc_n``) may be left out; they are then zero.
    """
    if value is None:
        return np.zeros(shape, dtype=dtype)
    check_shape(name, value, shape)
    return value
