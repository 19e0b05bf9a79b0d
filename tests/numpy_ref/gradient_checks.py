"""Shared assertions for the backward passes of the NumPy reference."""

from __future__ import annotations

from lstm_course.numpy_ref.gradcheck import numerical_gradient, rel_error

TOLERANCE = 1e-7  # float64, centred differences with h = 1e-5


def random_arrays(rng, shapes: dict) -> dict:
    """Standard normal float64 arrays (scaled by 0.5) for each name -> shape; None stays None."""
    return {name: None if shape is None else 0.5 * rng.standard_normal(shape) for name, shape in shapes.items()}


def assert_gradients_match(loss, inputs: dict, grads, tol: float = TOLERANCE) -> None:
    """Compare every analytic gradient ``grads.d<name>`` with the numerical
    gradient of the scalar ``loss()`` w.r.t. ``inputs[name]`` (perturbed in place)."""
    for name, array in inputs.items():
        analytic = getattr(grads, "d" + name)
        if array is None:
            assert analytic is None, f"d{name} should be None when {name} is None"
            continue
        assert analytic.shape == array.shape, f"d{name} should have shape {array.shape}, got {analytic.shape}"
        numeric = numerical_gradient(loss, array, 1.0)
        err = rel_error(analytic, numeric)
        assert err < tol, f"d{name}: relative error {err:.2e} against the numerical gradient, expected < {tol:.0e}"


# (T, B, D, H): includes a single step and a single sequence.
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (4, 1, 3, 2), (3, 2, 5, 4)]
