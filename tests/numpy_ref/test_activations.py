"""Tests of lstm_course.numpy_ref.activations: stability at +-1000 and agreement with the textbook formulas."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

from lstm_course.numpy_ref.activations import log_softmax, relu, sigmoid, softmax, tanh

FLOATS = [np.float32, np.float64]
HUGE = [-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0]


@contextmanager
def _no_floating_point_trouble():
    """Turn overflow, 0/0, division by zero and every warning into errors.

    Underflow stays allowed: exp(-1000) rounding to 0 is the correct result.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    x = np.array(HUGE, dtype=dtype)
    with _no_floating_point_trouble():
        y = sigmoid(x)
    assert np.all(np.isfinite(y)), f"expected finite values, got {y}"
    assert np.all((y >= 0) & (y <= 1)), f"expected values in [0, 1], got {y}"
    assert y[0] < 1e-30 and y[-1] == 1 and y[3] == 0.5, f"expected sigmoid(-1000, 0, 1000) = (~0, 0.5, 1), got {y}"
    assert np.all((y == 0) | (np.abs(y) >= np.finfo(dtype).tiny)), f"expected no subnormal results, got {y}"


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_keeps_the_dtype(dtype):
    y = sigmoid(np.linspace(-5, 5, 7, dtype=dtype))
    assert y.dtype == dtype, f"expected dtype {np.dtype(dtype)}, got {y.dtype}"


def test_sigmoid_matches_the_textbook_formula_for_moderate_inputs():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(
        sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15, atol=1e-15,
        err_msg="expected sigmoid == 1 / (1 + exp(-x)) to 1e-15 for |x| <= 30",
    )


def test_sigmoid_is_symmetric():
    x = np.linspace(-50, 50, 201)
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15, err_msg="expected sigmoid(-x) == 1 - sigmoid(x)")


def test_sigmoid_of_integers_is_a_probability():
    y = sigmoid(np.array([0, 1, -1]))
    np.testing.assert_allclose(y, [0.5, 1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))], err_msg="expected float probabilities for integer input")


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_is_stable_for_huge_inputs(dtype):
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    with _no_floating_point_trouble():
        p = softmax(x)
        logp = log_softmax(x)
    assert np.all(np.isfinite(p)), f"expected finite probabilities, got {p}"
    assert np.all((p >= 0) & (p <= 1)), f"expected probabilities in [0, 1], got {p}"
    expected = np.array([[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(p, expected, rtol=1e-6, err_msg="expected one-hot, halves and thirds")
    assert np.all(np.isfinite(logp)), f"expected finite log-probabilities, got {logp}"
    np.testing.assert_allclose(logp[0, 1], -2000.0, rtol=1e-6, err_msg="expected log_softmax of -1000 next to 1000 to be -2000")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_sums_to_one_along_the_axis(axis):
    x = np.random.default_rng(0).normal(scale=5.0, size=(4, 6, 3))
    sums = softmax(x, axis=axis).sum(axis=axis)
    np.testing.assert_allclose(sums, 1.0, rtol=1e-14, err_msg=f"expected softmax to sum to 1 along axis {axis}")


def test_softmax_is_invariant_to_a_shift():
    x = np.random.default_rng(1).normal(size=(5, 7))
    np.testing.assert_allclose(softmax(x + 300.0), softmax(x), rtol=1e-12, err_msg="expected softmax(x + c) == softmax(x)")


@pytest.mark.parametrize("axis", [0, -1])
def test_log_softmax_is_the_log_of_softmax(axis):
    x = np.random.default_rng(2).normal(scale=3.0, size=(5, 7))
    np.testing.assert_allclose(
        log_softmax(x, axis=axis), np.log(softmax(x, axis=axis)), rtol=1e-12, atol=1e-12,
        err_msg=f"expected log_softmax == log(softmax) along axis {axis} for moderate inputs",
    )


def test_tanh_and_relu():
    x = np.array([-1000.0, -2.0, 0.0, 0.5, 1000.0])
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 0.5, 1000], err_msg="expected max(x, 0)")
    np.testing.assert_allclose(tanh(x), [-1, np.tanh(-2), 0, np.tanh(0.5), 1], rtol=1e-15, err_msg="expected np.tanh, saturated at +-1")
