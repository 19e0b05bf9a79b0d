"""Affine, embedding and softmax cross-entropy layers, forward and backward, in NumPy.

The layers that surround a recurrent network in a language model: an
embedding in front, an affine read-out and a cross-entropy loss behind::

    affine:         out = x W^T + b              (torch.nn.Linear, F.linear)
    embedding:      out[i] = weight[indices[i]]   (torch.nn.Embedding, F.embedding)
    cross-entropy:  loss = mean over unmasked positions of -log softmax(logits)[target]
                    (F.cross_entropy with ignore_index, reduction="mean")

Dimensions: N rows, D input features, M output features, T time steps,
B batch, H hidden units, V vocabulary size, E embedding size.
Weights: ``w (M, D)`` and ``b (M,)`` (``b`` may be ``None``, ``bias=False``
in torch); ``weight (V, E)`` for the embedding. Sequences are time-major
``(T, B, ...)``, like ``rnn.py``.

The read-out and its loss are taught in book/bptt.md#eq-bptt-output;
book/tbptt.md trains a character model with an embedding in front.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ._validation import as_float_array, check_shape
from .activations import log_softmax


class AffineCache(NamedTuple):
    """What ``affine_backward`` needs from the forward pass."""

    x: np.ndarray  # (N, D) input
    w: np.ndarray  # (M, D)
    has_bias: bool


class AffineGrads(NamedTuple):
    """Gradients of the affine layer; ``db`` is None without bias."""

    dx: np.ndarray  # (N, D), or (T, B, D) for the temporal layer
    dw: np.ndarray  # (M, D)
    db: Optional[np.ndarray]  # (M,)


class TemporalAffineCache(NamedTuple):
    """What ``temporal_affine_backward`` needs from the forward pass."""

    affine: AffineCache  # over the T*B rows of x flattened to (T*B, D)
    steps: int  # T
    batch: int  # B


class EmbeddingCache(NamedTuple):
    """What ``embedding_backward`` needs from the forward pass."""

    indices: np.ndarray  # (...) integer rows looked up
    weight_shape: tuple  # (V, E)
    dtype: np.dtype  # of the weight, given to its gradient


def _affine_params(w, b):
    """Check ``w (M, D)`` and ``b (M,)`` or None; return them as float arrays."""
    w = as_float_array("w", w)
    check_shape("w", w, (None, None))
    if b is not None:
        b = as_float_array("b", b)
        check_shape("b", b, (w.shape[0],))
    return w, b


def affine_forward(x, w, b=None):
    """Affine map of a batch of rows, ``x W^T + b``, as ``torch.nn.functional.linear``.

    Args:
        x: (N, D) input rows.
        w: (M, D) weights.
        b: (M,) bias, or None.

    Returns:
        out: (N, M).
        cache: ``AffineCache`` for ``affine_backward``.
    """
    w, b = _affine_params(w, b)
    x = as_float_array("x", x)
    check_shape("x", x, (None, w.shape[1]))
    out = x @ w.T
    if b is not None:
        out = out + b
    return out, AffineCache(x, w, b is not None)


def affine_backward(dout, cache: AffineCache) -> AffineGrads:
    """Backward pass of ``affine_forward``.

    Args:
        dout: (N, M) gradient of the loss w.r.t. ``out``.
        cache: from ``affine_forward``.

    Returns:
        ``AffineGrads(dx (N, D), dw (M, D), db (M,) or None)``.
    """
    dout = as_float_array("dout", dout)
    check_shape("dout", dout, (cache.x.shape[0], cache.w.shape[0]))
    return AffineGrads(
        dx=dout @ cache.w,
        dw=dout.T @ cache.x,
        db=dout.sum(axis=0) if cache.has_bias else None,
    )


def temporal_affine_forward(x, w, b=None):
    """The same affine map applied at every time step, in one matrix product.

    Args:
        x: (T, B, H) sequence of hidden states, time-major.
        w: (M, H) weights.
        b: (M,) bias, or None.

    Returns:
        out: (T, B, M).
        cache: ``TemporalAffineCache`` for ``temporal_affine_backward``.
    """
    w, b = _affine_params(w, b)
    x = as_float_array("x", x)
    check_shape("x", x, (None, None, w.shape[1]))
    steps, batch, hidden = x.shape
    # The steps are independent, so they are rows of one big batch.
    out, cache = affine_forward(x.reshape(steps * batch, hidden), w, b)
    return out.reshape(steps, batch, -1), TemporalAffineCache(cache, steps, batch)


def temporal_affine_backward(dout, cache: TemporalAffineCache) -> AffineGrads:
    """Backward pass of ``temporal_affine_forward``.

    Args:
        dout: (T, B, M) gradient of the loss w.r.t. ``out``.
        cache: from ``temporal_affine_forward``.

    Returns:
        ``AffineGrads(dx (T, B, H), dw (M, H), db (M,) or None)``; ``dw`` and
        ``db`` are summed over all steps.
    """
    dout = as_float_array("dout", dout)
    outputs = cache.affine.w.shape[0]
    check_shape("dout", dout, (cache.steps, cache.batch, outputs))
    grads = affine_backward(dout.reshape(cache.steps * cache.batch, outputs), cache.affine)
    return grads._replace(dx=grads.dx.reshape(cache.steps, cache.batch, -1))


def _check_indices(name: str, indices, size: int, where=None) -> np.ndarray:
    """Return ``indices`` as an integer array with values in [0, size).

    Only the entries where the boolean array ``where`` is True are range-checked.
    """
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {indices.dtype}")
    checked = indices if where is None else indices[where]
    if checked.size and (checked.min() < 0 or checked.max() >= size):
        raise ValueError(
            f"{name} must lie in [0, {size}), got values in [{checked.min()}, {checked.max()}]"
        )
    return indices


def embedding_forward(indices, weight):
    """Look up rows of an embedding table, as ``torch.nn.functional.embedding``.

    Args:
        indices: integer array of any shape S, typically (T, B), values in [0, V).
        weight: (V, E) embedding table, one row per vocabulary entry.

    Returns:
        out: S + (E,), ``out[i] = weight[indices[i]]``.
        cache: ``EmbeddingCache`` for ``embedding_backward``.
    """
    weight = as_float_array("weight", weight)
    check_shape("weight", weight, (None, None))
    indices = _check_indices("indices", indices, weight.shape[0])
    return weight[indices], EmbeddingCache(indices, weight.shape, weight.dtype)


def embedding_backward(dout, cache: EmbeddingCache) -> np.ndarray:
    """Backward pass of ``embedding_forward``.

    Args:
        dout: S + (E,) gradient of the loss w.r.t. ``out``.
        cache: from ``embedding_forward``.

    Returns:
        dweight: (V, E); rows never looked up are zero.
    """
    dout = as_float_array("dout", dout)
    check_shape("dout", dout, cache.indices.shape + (cache.weight_shape[1],))
    dweight = np.zeros(cache.weight_shape, dtype=cache.dtype)
    # ``dweight[indices] += dout`` would keep only one of the contributions of
    # a repeated index; ``np.add.at`` accumulates every one of them.
    np.add.at(dweight, cache.indices, dout)
    return dweight


def _check_mask(mask, shape: tuple) -> np.ndarray:
    """Return ``mask`` as a boolean array of ``shape`` (all True for None)."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array (True = real token), got dtype {mask.dtype}")
    check_shape("mask", mask, shape)
    return mask


def softmax_cross_entropy(logits, targets, mask=None):
    """Mean cross-entropy of softmax(logits) against integer targets, and its gradient.

    Matches ``F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1),
    ignore_index=pad, reduction="mean")`` where ``targets`` holds ``pad`` at
    the masked positions: the mean runs over the unmasked positions only.
    ``log_softmax`` keeps logits of +-1000 from overflowing.

    Args:
        logits: (T, B, V), or more generally S + (V,), unnormalised scores.
        targets: S integer class indices, in [0, V) where ``mask`` is True;
            masked entries are ignored and may hold any padding value.
        mask: S boolean, True for a real token and False for padding, or None
            to keep every position.

    Returns:
        loss: float, the mean negative log-likelihood over the K unmasked positions.
        dlogits: S + (V,), ``(softmax(logits) - onehot(targets)) / K`` where
            unmasked and zero where masked.
    """
    logits = as_float_array("logits", logits)
    if logits.ndim < 2:
        raise ValueError(f"logits must have shape (..., V) with at least 2 dimensions, got {logits.shape}")
    batch_shape = logits.shape[:-1]
    mask = _check_mask(mask, batch_shape)
    check_shape("targets", targets, batch_shape)
    targets = _check_indices("targets", targets, logits.shape[-1], where=mask)
    count = np.count_nonzero(mask)
    if count == 0:
        raise ValueError("mask must keep at least one position: the mean over no position is undefined")
    # Padding may hold any value; point it at class 0 so that it can index.
    safe_targets = np.where(mask, targets, 0)[..., None]
    log_probs = log_softmax(logits, axis=-1)
    picked = np.take_along_axis(log_probs, safe_targets, axis=-1)[..., 0]
    loss = -float(np.sum(picked[mask])) / count
    dlogits = np.exp(log_probs)
    np.put_along_axis(dlogits, safe_targets, np.take_along_axis(dlogits, safe_targets, axis=-1) - 1, axis=-1)
    dlogits *= mask[..., None] / count
    return loss, dlogits
