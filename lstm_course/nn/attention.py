"""Attention over the states of an encoder: additive and multiplicative scores.

An attention module compares one query q (the decoder state) with the S keys
k_1..k_S of a source sequence, turns the scores into weights with a softmax
over the real (non-padding) positions, and returns the weighted mean of the
values v_1..v_S, the context vector::

    e_s = score(q, k_s)                         s = 1..S
    a_s = exp(e_s) / sum_{s' real} exp(e_s')    (a_s = 0 on padding)
    context = sum_s a_s v_s

Additive attention (Bahdanau, Cho & Bengio 2015, "Neural machine translation
by jointly learning to align and translate")::

    score(q, k) = w^T tanh(W_q q + W_k k + b)

Multiplicative attention (Luong, Pham & Manning 2015, "Effective approaches to
attention-based neural machine translation")::

    "dot":      score(q, k) = q^T k
    "general":  score(q, k) = q^T W_a k

Shapes, batch first: ``query (B, H_q)``, ``keys (B, S, H_k)``,
``values (B, S, H_v)`` (the keys when omitted), ``mask (B, S)`` bool with True
on real tokens; the modules return ``context (B, H_v)`` and
``weights (B, S)``. A is the size of the additive attention's hidden layer.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

SCORES = ("dot", "general")


def lengths_to_mask(lengths: Tensor, max_length: int) -> Tensor:
    """``(B, S)`` bool mask, True on the first ``lengths[b]`` positions of row b, S = ``max_length``.

    >>> lengths_to_mask(torch.tensor([1, 3]), 3)
    tensor([[ True, False, False],
            [ True,  True,  True]])
    """
    return torch.arange(max_length, device=lengths.device) < lengths.unsqueeze(1)


def masked_softmax(scores: Tensor, mask: Optional[Tensor]) -> Tensor:
    """Softmax over the last axis of ``scores (B, S)`` restricted to ``mask``.

    The scores are first shifted so that the largest *real* one is 0 (softmax
    does not change under a shift per row), then masked scores are replaced by
    the most negative number of their dtype rather than ``-inf``: a row of
    ``-inf`` would give ``0/0 = NaN``. After the shift every real row holds a
    0 and every masked score is far below it, so masked positions underflow to
    an exact zero, even when real scores are themselves near the dtype's
    limits. The weights are then zeroed on padding so that they are exactly
    zero whatever the scores.

    Raises ``ValueError`` for a row without any real position: its weights
    would have no meaning.

    >>> masked_softmax(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[True, True, False]]))
    tensor([[0.2689, 0.7311, 0.0000]])
    """
    if mask is None:
        return torch.softmax(scores, dim=-1)
    if not bool(mask.any(dim=-1).all()):
        empty = (~mask.any(dim=-1)).nonzero().flatten().tolist()
        raise ValueError(f"every row of mask needs at least one real (True) position, rows {empty} have none")
    lowest = torch.finfo(scores.dtype).min
    # The shift is a constant for the softmax, so no gradient needs to flow through it.
    real_max = scores.detach().masked_fill(~mask, lowest).amax(dim=-1, keepdim=True)
    shifted = (scores - real_max).masked_fill(~mask, lowest)
    return torch.softmax(shifted, dim=-1).masked_fill(~mask, 0.0)


class _Attention(nn.Module):
    """What both attentions share: checks, masked softmax and weighted mean.
    Subclasses set ``query_size`` and ``key_size`` and define ``score``."""

    query_size: int
    key_size: int

    def forward(self, query: Tensor, keys: Tensor, values: Optional[Tensor] = None,
                mask: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
        """``query (B, H_q)``, ``keys (B, S, H_k)``, ``values (B, S, H_v)`` or None
        for the keys, ``mask (B, S)`` bool or None -> ``context (B, H_v)``, ``weights (B, S)``."""
        values = keys if values is None else values
        self._check_inputs(query, keys, values, mask)
        weights = masked_softmax(self.score(query, keys), mask)
        return torch.bmm(weights.unsqueeze(1), values).squeeze(1), weights

    def _check_inputs(self, query: Tensor, keys: Tensor, values: Tensor, mask: Optional[Tensor]) -> None:
        """Raise ``ValueError`` naming the expected and the given shape."""
        if query.dim() != 2 or query.shape[1] != self.query_size:
            raise ValueError(f"query must have shape (B, H_q={self.query_size}), got {tuple(query.shape)}")
        batch = query.shape[0]
        if keys.dim() != 3 or keys.shape[0] != batch or keys.shape[2] != self.key_size:
            raise ValueError(f"keys must have shape (B={batch}, S, H_k={self.key_size}), got {tuple(keys.shape)}")
        if keys.shape[1] == 0:
            raise ValueError("keys must hold at least one source position, got S = 0")
        if values.dim() != 3 or values.shape[:2] != keys.shape[:2]:
            raise ValueError(f"values must have shape (B={batch}, S={keys.shape[1]}, H_v), got {tuple(values.shape)}")
        if mask is not None:
            if mask.shape != keys.shape[:2]:
                raise ValueError(f"mask must have shape (B={batch}, S={keys.shape[1]}), got {tuple(mask.shape)}")
            if mask.dtype != torch.bool:
                raise TypeError(f"mask must be a bool tensor (True = real token), got dtype {mask.dtype}")


class AdditiveAttention(_Attention):
    """Additive attention of Bahdanau, Cho & Bengio (2015).

    ``e_s = w^T tanh(W_q q + W_k k_s + b)``, then the masked softmax and the
    weighted mean of the values (see the module docstring).

    Parameters: ``weight_query (A, H_q)``, ``weight_key (A, H_k)``,
    ``bias (A,)`` and ``weight_score (A,)`` (the vector w).

    Args:
        query_size: H_q.
        key_size: H_k.
        attention_size: A, the width of the hidden layer of the score.

    ``forward(query, keys, values=None, mask=None) -> (context, weights)``
    with the shapes of the module docstring.

    >>> attention = AdditiveAttention(4, 6, 5)
    >>> context, weights = attention(torch.randn(2, 4), torch.randn(2, 3, 6))
    >>> context.shape, weights.shape
    (torch.Size([2, 6]), torch.Size([2, 3]))
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.query_size, self.key_size, self.attention_size = query_size, key_size, attention_size
        self.weight_query = nn.Parameter(torch.empty(attention_size, query_size, **factory))
        self.weight_key = nn.Parameter(torch.empty(attention_size, key_size, **factory))
        self.bias = nn.Parameter(torch.empty(attention_size, **factory))
        self.weight_score = nn.Parameter(torch.empty(attention_size, **factory))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Each matrix from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), like ``nn.Linear``;
        the bias and w use the bound of the layer they follow."""
        nn.init.uniform_(self.weight_query, -1 / math.sqrt(self.query_size), 1 / math.sqrt(self.query_size))
        nn.init.uniform_(self.weight_key, -1 / math.sqrt(self.key_size), 1 / math.sqrt(self.key_size))
        bound = 1 / math.sqrt(self.query_size + self.key_size)
        nn.init.uniform_(self.bias, -bound, bound)
        bound = 1 / math.sqrt(self.attention_size)
        nn.init.uniform_(self.weight_score, -bound, bound)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """Scores ``(B, S)`` of ``query (B, H_q)`` against ``keys (B, S, H_k)``."""
        # W_q q is computed once per query, not once per source position.
        projected_query = (query @ self.weight_query.T).unsqueeze(1)  # (B, 1, A)
        hidden = torch.tanh(projected_query + keys @ self.weight_key.T + self.bias)  # (B, S, A)
        return hidden @ self.weight_score

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, attention_size={self.attention_size}"


class MultiplicativeAttention(_Attention):
    """Multiplicative attention of Luong, Pham & Manning (2015).

    ``score="dot"``: ``e_s = q^T k_s``, no parameters, needs H_q == H_k.
    ``score="general"``: ``e_s = q^T W_a k_s`` with ``weight (H_q, H_k)``.

    Args:
        query_size: H_q.
        key_size: H_k.
        score: "dot" or "general".

    ``forward(query, keys, values=None, mask=None) -> (context, weights)``
    with the shapes of the module docstring.

    >>> attention = MultiplicativeAttention(4, 4, score="dot")
    >>> context, weights = attention(torch.randn(2, 4), torch.randn(2, 3, 4))
    >>> torch.allclose(weights.sum(dim=1), torch.ones(2))
    True
    """

    def __init__(self, query_size: int, key_size: int, score: str = "general", device=None, dtype=None):
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f'score="dot" needs query_size == key_size, got {query_size} and {key_size}; '
                             'use score="general" for different sizes')
        self.query_size, self.key_size, self.score_name = query_size, key_size, score
        if score == "general":
            self.weight = nn.Parameter(torch.empty(query_size, key_size, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``weight`` from U(-1/sqrt(H_k), 1/sqrt(H_k)), like ``nn.Linear``."""
        if self.weight is not None:
            bound = 1 / math.sqrt(self.key_size)
            nn.init.uniform_(self.weight, -bound, bound)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """Scores ``(B, S)`` of ``query (B, H_q)`` against ``keys (B, S, H_k)``."""
        # q^T W_a k_s = (W_a^T q)^T k_s: one product with W_a per query, then S dot products.
        projected = query if self.weight is None else query @ self.weight  # (B, H_k)
        return torch.bmm(keys, projected.unsqueeze(2)).squeeze(2)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, score={self.score_name!r}"
