"""Tests of lstm_course.numpy_ref.layers: gradient checks, torch agreement, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_course.numpy_ref.gradcheck import numerical_gradient, rel_error
from lstm_course.numpy_ref.layers import (
    AffineGrads,
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
    softmax_cross_entropy,
    temporal_affine_backward,
    temporal_affine_forward,
)

GRAD_TOL = 1e-7  # numerical vs. analytic gradient, float64
TORCH_TOL = 1e-10  # NumPy vs. torch autograd, float64

# (N, D, M) for the affine layer, with a single row and a single feature.
AFFINE_SHAPES = [(1, 1, 1), (1, 4, 3), (5, 1, 2), (6, 4, 3)]
# (T, B, H, M) for the temporal layers, with T=1 and B=1.
TEMPORAL_SHAPES = [(1, 1, 3, 2), (1, 4, 3, 5), (5, 1, 2, 3), (4, 3, 5, 6)]
# (T, B, V, E) for the embedding.
EMBEDDING_SHAPES = [(1, 1, 3, 2), (1, 4, 5, 3), (6, 1, 4, 2), (5, 3, 7, 4)]
# (T, B, V) for the cross-entropy.
LOSS_SHAPES = [(1, 1, 2), (1, 4, 5), (6, 1, 3), (5, 3, 7)]


def _rng(*shape) -> np.random.Generator:
    """A generator seeded by the test's shape, so each case has its own fixed data."""
    return np.random.default_rng(list(shape))


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def _assert_gradcheck(analytic, f, x, df, what: str) -> None:
    err = rel_error(analytic, numerical_gradient(f, x, df))
    assert err < GRAD_TOL, f"{what}: expected rel_error < {GRAD_TOL} against the numerical gradient, got {err:.2e}"


def _assert_matches_torch(ours, theirs: torch.Tensor, what: str) -> None:
    np.testing.assert_allclose(
        ours, theirs.detach().numpy(), rtol=TORCH_TOL, atol=TORCH_TOL,
        err_msg=f"{what}: expected agreement with torch to {TORCH_TOL}",
    )


def _masked_problem(steps, batch, vocab):
    """Random logits (T, B, V), targets (T, B) and a mask keeping at least one position."""
    rng = _rng(steps, batch, vocab)
    logits = rng.normal(size=(steps, batch, vocab))
    targets = rng.integers(0, vocab, size=(steps, batch))
    mask = rng.random((steps, batch)) < 0.6
    mask[0, 0] = True
    return logits, targets, mask


# --- affine -----------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", AFFINE_SHAPES)
def test_affine_backward_matches_numerical_gradient(shape, bias):
    n, d, m = shape
    rng = _rng(*shape)
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    b = b if bias else None
    dout = rng.normal(size=(n, m))
    out, cache = affine_forward(x, w, b)
    grads = affine_backward(dout, cache)
    f = lambda: affine_forward(x, w, b)[0]  # noqa: E731
    _assert_gradcheck(grads.dx, f, x, dout, "dx")
    _assert_gradcheck(grads.dw, f, w, dout, "dw")
    if bias:
        _assert_gradcheck(grads.db, f, b, dout, "db")
    else:
        assert grads.db is None, f"expected db None without bias, got {grads.db!r}"


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", AFFINE_SHAPES)
def test_affine_matches_torch_linear(shape, bias):
    n, d, m = shape
    rng = _rng(*shape)
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    out, cache = affine_forward(x, w, b if bias else None)
    grads = affine_backward(dout, cache)
    xt, wt, bt = _t(x), _t(w), _t(b)
    out_t = F.linear(xt, wt, bt if bias else None)
    out_t.backward(torch.tensor(dout))
    _assert_matches_torch(out, out_t, "affine out")
    _assert_matches_torch(grads.dx, xt.grad, "dx")
    _assert_matches_torch(grads.dw, wt.grad, "dw")
    if bias:
        _assert_matches_torch(grads.db, bt.grad, "db")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", TEMPORAL_SHAPES)
def test_temporal_affine_backward_matches_numerical_gradient(shape, bias):
    steps, batch, hidden, m = shape
    rng = _rng(*shape)
    x, w, b = rng.normal(size=(steps, batch, hidden)), rng.normal(size=(m, hidden)), rng.normal(size=m)
    b = b if bias else None
    dout = rng.normal(size=(steps, batch, m))
    out, cache = temporal_affine_forward(x, w, b)
    assert out.shape == (steps, batch, m), f"expected out of shape {(steps, batch, m)}, got {out.shape}"
    grads = temporal_affine_backward(dout, cache)
    assert isinstance(grads, AffineGrads), f"expected AffineGrads, got {type(grads).__name__}"
    f = lambda: temporal_affine_forward(x, w, b)[0]  # noqa: E731
    _assert_gradcheck(grads.dx, f, x, dout, "dx")
    _assert_gradcheck(grads.dw, f, w, dout, "dw")
    if bias:
        _assert_gradcheck(grads.db, f, b, dout, "db")
    else:
        assert grads.db is None, f"expected db None without bias, got {grads.db!r}"


@pytest.mark.parametrize("shape", TEMPORAL_SHAPES)
def test_temporal_affine_matches_torch_linear(shape):
    steps, batch, hidden, m = shape
    rng = _rng(*shape)
    x, w, b = rng.normal(size=(steps, batch, hidden)), rng.normal(size=(m, hidden)), rng.normal(size=m)
    dout = rng.normal(size=(steps, batch, m))
    out, cache = temporal_affine_forward(x, w, b)
    grads = temporal_affine_backward(dout, cache)
    xt, wt, bt = _t(x), _t(w), _t(b)
    out_t = F.linear(xt, wt, bt)
    out_t.backward(torch.tensor(dout))
    _assert_matches_torch(out, out_t, "temporal affine out")
    _assert_matches_torch(grads.dx, xt.grad, "dx")
    _assert_matches_torch(grads.dw, wt.grad, "dw")
    _assert_matches_torch(grads.db, bt.grad, "db")


def test_affine_rejects_bad_shapes():
    x, w, b = np.zeros((2, 4)), np.zeros((3, 4)), np.zeros(3)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 4\), got \(2, 5\)"):
        affine_forward(np.zeros((2, 5)), w, b)
    with pytest.raises(ValueError, match=r"w must have shape \(\*, \*\), got \(4,\)"):
        affine_forward(x, np.zeros(4), b)
    with pytest.raises(ValueError, match=r"b must have shape \(3,\), got \(4,\)"):
        affine_forward(x, w, np.zeros(4))
    _, cache = affine_forward(x, w, b)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3\), got \(3, 2\)"):
        affine_backward(np.zeros((3, 2)), cache)


def test_temporal_affine_rejects_bad_shapes():
    w = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, \*, 4\), got \(2, 4\)"):
        temporal_affine_forward(np.zeros((2, 4)), w)
    _, cache = temporal_affine_forward(np.zeros((5, 2, 4)), w)
    with pytest.raises(ValueError, match=r"dout must have shape \(5, 2, 3\), got \(2, 5, 3\)"):
        temporal_affine_backward(np.zeros((2, 5, 3)), cache)


def test_affine_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        affine_forward(np.array([["a", "b"]]), np.zeros((3, 2)))


# --- embedding --------------------------------------------------------------


@pytest.mark.parametrize("shape", EMBEDDING_SHAPES)
def test_embedding_backward_matches_numerical_gradient(shape):
    steps, batch, vocab, dim = shape
    rng = _rng(*shape)
    indices = rng.integers(0, vocab, size=(steps, batch))
    weight = rng.normal(size=(vocab, dim))
    dout = rng.normal(size=(steps, batch, dim))
    out, cache = embedding_forward(indices, weight)
    assert out.shape == (steps, batch, dim), f"expected out of shape {(steps, batch, dim)}, got {out.shape}"
    _assert_gradcheck(embedding_backward(dout, cache), lambda: embedding_forward(indices, weight)[0], weight, dout, "dweight")


@pytest.mark.parametrize("shape", EMBEDDING_SHAPES)
def test_embedding_matches_torch(shape):
    steps, batch, vocab, dim = shape
    rng = _rng(*shape)
    indices = rng.integers(0, vocab, size=(steps, batch))
    weight = rng.normal(size=(vocab, dim))
    dout = rng.normal(size=(steps, batch, dim))
    out, cache = embedding_forward(indices, weight)
    weight_t = _t(weight)
    out_t = F.embedding(torch.tensor(indices), weight_t)
    out_t.backward(torch.tensor(dout))
    _assert_matches_torch(out, out_t, "embedding out")
    _assert_matches_torch(embedding_backward(dout, cache), weight_t.grad, "dweight")


def test_embedding_backward_accumulates_repeated_indices():
    weight = np.zeros((4, 2))
    indices = np.array([[1, 1], [1, 3]])
    _, cache = embedding_forward(indices, weight)
    dweight = embedding_backward(np.ones((2, 2, 2)), cache)
    expected = np.array([[0, 0], [3, 3], [0, 0], [1, 1]], dtype=float)
    np.testing.assert_array_equal(dweight, expected, err_msg="expected row 1 to receive the sum of its 3 uses")


def test_embedding_rejects_bad_indices():
    weight = np.zeros((5, 2))
    with pytest.raises(TypeError, match="indices must be an integer array, got dtype float64"):
        embedding_forward(np.array([[1.0, 2.0]]), weight)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 5\), got values in \[0, 5\]"):
        embedding_forward(np.array([[0, 5]]), weight)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 5\), got values in \[-1, 2\]"):
        embedding_forward(np.array([[-1, 2]]), weight)


def test_embedding_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"weight must have shape \(\*, \*\), got \(5,\)"):
        embedding_forward(np.array([0, 1]), np.zeros(5))
    _, cache = embedding_forward(np.zeros((3, 2), dtype=int), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"dout must have shape \(3, 2, 4\), got \(3, 2\)"):
        embedding_backward(np.zeros((3, 2)), cache)


# --- softmax cross-entropy --------------------------------------------------


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("shape", LOSS_SHAPES)
def test_cross_entropy_gradient_matches_numerical_gradient(shape, masked):
    logits, targets, mask = _masked_problem(*shape)
    mask = mask if masked else None
    _, dlogits = softmax_cross_entropy(logits, targets, mask)
    f = lambda: softmax_cross_entropy(logits, targets, mask)[0]  # noqa: E731
    _assert_gradcheck(dlogits, f, logits, 1.0, "dlogits")


@pytest.mark.parametrize("shape", LOSS_SHAPES)
def test_cross_entropy_matches_torch_with_ignore_index(shape):
    logits, targets, mask = _masked_problem(*shape)
    pad = -100
    loss, dlogits = softmax_cross_entropy(logits, np.where(mask, targets, pad), mask)
    vocab = shape[-1]
    logits_t = _t(logits)
    loss_t = F.cross_entropy(
        logits_t.reshape(-1, vocab), torch.tensor(np.where(mask, targets, pad)).reshape(-1),
        ignore_index=pad, reduction="mean",
    )
    loss_t.backward()
    _assert_matches_torch(loss, loss_t, "loss")
    _assert_matches_torch(dlogits, logits_t.grad, "dlogits")


def test_cross_entropy_accepts_two_dimensional_logits():
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    loss, dlogits = softmax_cross_entropy(logits, targets)
    logits_t = _t(logits)
    loss_t = F.cross_entropy(logits_t, torch.tensor(targets))
    loss_t.backward()
    _assert_matches_torch(loss, loss_t, "(N, V) loss")
    _assert_matches_torch(dlogits, logits_t.grad, "(N, V) dlogits")


def test_cross_entropy_mask_zeros_gradient_at_padding():
    logits, targets, mask = _masked_problem(5, 3, 7)
    assert not mask.all(), "expected the test data to contain padding"
    _, dlogits = softmax_cross_entropy(logits, targets, mask)
    assert np.all(dlogits[~mask] == 0), "expected dlogits exactly 0 at every padded position"
    assert np.all(np.abs(dlogits[mask]).sum(axis=-1) > 0), "expected nonzero dlogits at every real token"


def test_cross_entropy_ignores_padding_values():
    logits, targets, mask = _masked_problem(5, 3, 7)
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    padded = np.where(mask, targets, -100)
    loss_pad, dlogits_pad = softmax_cross_entropy(logits, padded, mask)
    assert loss_pad == loss, f"expected the loss not to depend on padding targets, got {loss_pad} vs {loss}"
    np.testing.assert_array_equal(dlogits_pad, dlogits, err_msg="expected dlogits not to depend on padding targets")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    logits = np.array([[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]]], dtype=dtype)
    targets = np.array([[1, 0]])
    # Underflow of exp(-2000) to 0 is the right answer; overflow, 0/0 or log(0) are not.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        loss, dlogits = softmax_cross_entropy(logits, targets)
    assert np.isfinite(loss), f"expected a finite loss, got {loss}"
    np.testing.assert_allclose(loss, (2000 + 2000 + np.log(2)) / 2, rtol=1e-6, err_msg="expected loss (2000 + 2000 + log 2) / 2")
    assert np.all(np.isfinite(dlogits)), f"expected finite dlogits, got {dlogits}"
    expected = np.array([[[1, -1, 0], [-1, 0.5, 0.5]]]) / 2
    np.testing.assert_allclose(dlogits, expected, atol=1e-7, err_msg="expected (softmax - onehot) / 2")


def test_cross_entropy_rejects_bad_input():
    logits, targets = np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int)
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\), got \(3, 2\)"):
        softmax_cross_entropy(logits, targets.T)
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\), got \(2,\)"):
        softmax_cross_entropy(logits, targets, np.ones(2, dtype=bool))
    out_of_range = targets.copy()
    out_of_range[1, 2] = 4
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 4\), got values in \[0, 4\]"):
        softmax_cross_entropy(logits, out_of_range)
    with pytest.raises(ValueError, match="mask must keep at least one position"):
        softmax_cross_entropy(logits, targets, np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"logits must have shape \(\.\.\., V\)"):
        softmax_cross_entropy(np.zeros(4), np.zeros((), dtype=int))
    with pytest.raises(TypeError, match="targets must be an integer array"):
        softmax_cross_entropy(logits, targets.astype(float))
    with pytest.raises(TypeError, match="mask must be a boolean array"):
        softmax_cross_entropy(logits, targets, np.ones((2, 3)))
