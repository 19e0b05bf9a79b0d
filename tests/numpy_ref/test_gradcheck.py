"""Tests of lstm_course.numpy_ref.gradcheck: the tool every backward-pass test relies on."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.numpy_ref.gradcheck import numerical_gradient, rel_error


def _away_from_zero(rng: np.random.Generator, shape) -> np.ndarray:
    """Entries of magnitude in [0.5, 2] with random signs, so relative errors are well defined."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_of_a_cubic(shape):
    rng = np.random.default_rng(len(shape))
    x, df = _away_from_zero(rng, shape), rng.normal(size=shape)
    grad = numerical_gradient(lambda: x**3, x, df)
    err = rel_error(grad, 3 * x**2 * df)
    assert err < 1e-8, f"expected the numerical gradient of sum(df * x^3) to be 3 x^2 df to 1e-8, got rel_error {err:.2e}"


def test_numerical_gradient_of_a_scalar_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: np.sum(np.sin(x)), x, 1.0)
    err = rel_error(grad, np.cos(x))
    assert err < 1e-8, f"expected the gradient of sum(sin x) to be cos x to 1e-8, got rel_error {err:.2e}"


def test_numerical_gradient_is_centred():
    # A forward difference would be off by h / (2x) ~ 5e-6 on x^2; a centred one is exact up to rounding.
    x = np.array([1.0, -1.5, 2.0])
    err = rel_error(numerical_gradient(lambda: x**2, x, np.ones(3)), 2 * x)
    assert err < 1e-9, f"expected the centred difference to be exact on x^2, got rel_error {err:.2e}"


def test_numerical_gradient_detects_a_wrong_gradient():
    rng = np.random.default_rng(3)
    x, df = _away_from_zero(rng, (4, 3)), rng.normal(size=(4, 3))
    wrong = 2 * x**2 * df  # a typical slip: the factor of the power rule
    err = rel_error(wrong, numerical_gradient(lambda: x**3, x, df))
    assert err > 1e-3, f"expected a wrong gradient to give rel_error > 1e-3, got {err:.2e}"


def test_numerical_gradient_restores_x():
    x = np.random.default_rng(4).normal(size=(3, 5))
    before = x.copy()
    numerical_gradient(lambda: np.tanh(x), x, np.ones((3, 5)))
    np.testing.assert_array_equal(x, before, err_msg="expected x bit-for-bit restored after the call")


def test_numerical_gradient_sees_the_perturbation_through_a_view():
    # Functions read x through the caller's name; the perturbation must reach them.
    x = np.zeros((2, 2))
    view = x.T
    grad = numerical_gradient(lambda: view * 3.0, x, np.ones((2, 2)))
    np.testing.assert_allclose(grad, 3.0, rtol=1e-9, err_msg="expected gradient 3 everywhere for f = 3 x^T")


def test_numerical_gradient_rejects_non_float_x():
    with pytest.raises(TypeError, match="x must be a floating array, got dtype int64"):
        numerical_gradient(lambda: 0.0, np.arange(3, dtype=np.int64), 1.0)
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0], 1.0)


def test_rel_error_of_identical_arrays_is_zero():
    a = np.random.default_rng(5).normal(size=(3, 4))
    assert rel_error(a, a.copy()) == 0.0, "expected rel_error 0 for identical arrays"
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0, "expected rel_error 0 for two zero arrays (no 0/0)"


def test_rel_error_is_symmetric_and_relative():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=10), rng.normal(size=10)
    assert rel_error(a, b) == rel_error(b, a), "expected rel_error(a, b) == rel_error(b, a)"
    err = rel_error(np.array([1.0, 100.0]), np.array([1.0, 101.0]))
    assert err == pytest.approx(1 / 201), f"expected the largest elementwise |a - b| / (|a| + |b|) = 1/201, got {err}"
    assert rel_error(1e6 * a, 1e6 * b) == pytest.approx(rel_error(a, b)), "expected rel_error invariant to a common scale"


def test_rel_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=r"cannot compare arrays of shapes \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))
