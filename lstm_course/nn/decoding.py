"""Greedy decoding and beam search for step-by-step decoders with attention.

Both searches drive a *step function*, one decoder step for a batch of N
partial outputs::

    step(tokens (N,), state) -> (logits (N, V), next_state, attention (N, S))

``tokens`` are the previous output tokens (the start token at the first
step), ``logits`` score the next token, and ``attention`` holds the attention
weights over the S source positions used for that step. ``state`` is a tensor
or a (named) tuple of tensors whose **first axis is the batch**: beam search
copies and reorders it with ``index_select(0, ·)`` (``select_rows``).
``Seq2Seq.step`` (``seq2seq.py``) is such a function.

Both searches stop a hypothesis at the end-of-sequence token (EOS), which is
part of the output and counts in its length |Y|; after it, the hypothesis is
padded with EOS, gains no log-probability and gets zero attention weights.
They stop early when every hypothesis has finished, and after ``max_len``
tokens otherwise (an unfinished hypothesis then has |Y| = ``max_len``).

Length normalization (Wu et al. 2016, "Google's neural machine translation
system: bridging the gap between human and machine translation"): a
hypothesis is ranked by ``log P(Y | X) / lp(Y)`` with::

    lp(Y) = ((5 + |Y|) / 6) ** alpha

``alpha = 0`` gives lp = 1, the plain log-probability, which favours short
outputs since every token adds a negative term; ``alpha`` around 0.6--1
compensates.

Beam search (batched over the B inputs and the K beams, N = B*K): at each
step every live hypothesis is extended by every token, a finished one only by
EOS at no cost, so it stops growing and keeps its log-probability. The K
candidates with the highest log-probability survive. At the end, the K
hypotheses of each input, finished or cut at ``max_len``, are compared by
their length-normalized score. With K = 1 this is greedy decoding.

Dimensions: B inputs, K beams, V vocabulary, S source positions, T_out
output steps actually taken (at most ``max_len``).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import torch
from torch import Tensor

from ._checks import check_positive_int

StepFunction = Callable[[Tensor, Any], tuple[Tensor, Any, Tensor]]


class Decoded(NamedTuple):
    """The output of a search, one hypothesis per input.

    tokens: (B, T_out) long, EOS included, padded with EOS after it.
    lengths: (B,) long, |Y|: the number of tokens up to and including EOS.
    log_probs: (B,) total log-probability ``log P(Y | X)``.
    scores: (B,) ``log_probs / lp(Y)``, the score the search ranked by.
    attention: (B, T_out, S) attention weights of each step of the hypothesis;
        each row sums to one for the first ``lengths`` steps and is zero after.
    """

    tokens: Tensor
    lengths: Tensor
    log_probs: Tensor
    scores: Tensor
    attention: Tensor


def length_penalty(lengths: Tensor, alpha: float) -> Tensor:
    """``lp(Y) = ((5 + |Y|) / 6) ** alpha`` of Wu et al. (2016) for ``lengths (N,)``,
    in the dtype of ``lengths`` if it is floating.

    >>> length_penalty(torch.tensor([1.0, 7.0]), 1.0)
    tensor([1., 2.])
    """
    return ((5.0 + lengths) / 6.0).pow(alpha)


def select_rows(state: Any, index: Tensor) -> Any:
    """Rows ``index`` of a batch-first state: a tensor or a (named) tuple of them."""
    if isinstance(state, Tensor):
        return state.index_select(0, index)
    if isinstance(state, tuple):
        rows = [select_rows(part, index) for part in state]
        return type(state)(*rows) if hasattr(state, "_fields") else tuple(rows)
    raise TypeError(f"state must be a Tensor or a tuple of Tensors, got {type(state).__name__}")


def _check_arguments(start_tokens: Tensor, eos_id: int, max_len: int) -> None:
    if start_tokens.dim() != 1 or start_tokens.dtype != torch.long:
        raise ValueError(f"start_tokens must be a 1-D long tensor (B,), got shape {tuple(start_tokens.shape)} "
                         f"and dtype {start_tokens.dtype}")
    check_positive_int("max_len", max_len)
    if not isinstance(eos_id, int) or eos_id < 0:
        raise ValueError(f"eos_id must be a non-negative integer, got {eos_id!r}")


def greedy_decode(step: StepFunction, state: Any, start_tokens: Tensor, eos_id: int, max_len: int,
                  alpha: float = 0.0) -> Decoded:
    """Feed back the most probable token at each step.

    Args:
        step: the step function (module docstring).
        state: its initial state for the B inputs.
        start_tokens: (B,) long, the first input token (usually BOS).
        eos_id: the end-of-sequence token.
        max_len: the most tokens generated per input, EOS included.
        alpha: length-normalization exponent; only affects the returned
            ``scores`` here, since greedy decoding makes no comparison
            between hypotheses.

    Returns:
        ``Decoded`` (tokens, lengths, log_probs, scores, attention).
    """
    _check_arguments(start_tokens, eos_id, max_len)
    tokens, chosen, weights = start_tokens, [], []
    finished = torch.zeros_like(start_tokens, dtype=torch.bool)
    lengths = torch.zeros_like(start_tokens)
    for t in range(max_len):
        logits, state, attention = step(tokens, state)
        log_p = torch.log_softmax(logits, dim=-1)
        if t == 0:
            total = log_p.new_zeros(log_p.shape[0])
        tokens = log_p.argmax(dim=-1).masked_fill(finished, eos_id)
        gain = log_p.gather(1, tokens.unsqueeze(1)).squeeze(1)
        total = total + gain.masked_fill(finished, 0.0)
        weights.append(attention.masked_fill(finished.unsqueeze(1), 0.0))
        chosen.append(tokens)
        lengths = lengths + (~finished).long()
        finished = finished | (tokens == eos_id)
        if bool(finished.all()):
            break
    scores = total / length_penalty(lengths.to(total.dtype), alpha)
    return Decoded(torch.stack(chosen, 1), lengths, total, scores, torch.stack(weights, 1))


def beam_search(step: StepFunction, state: Any, start_tokens: Tensor, eos_id: int, max_len: int,
                beam_size: int, alpha: float = 0.0) -> Decoded:
    """Batched beam search with EOS handling and length normalization.

    Args:
        step: the step function (module docstring); it is called on B*K rows,
            the K beams of input b in rows b*K .. b*K + K - 1.
        state: its initial state for the B inputs (batch-first).
        start_tokens: (B,) long, the first input token (usually BOS).
        eos_id: the end-of-sequence token.
        max_len: the most tokens generated per input, EOS included.
        beam_size: K >= 1.
        alpha: length-normalization exponent of ``lp(Y)``; 0 turns it off.

    Returns:
        ``Decoded`` for the best of the K final hypotheses of each input.
    """
    _check_arguments(start_tokens, eos_id, max_len)
    check_positive_int("beam_size", beam_size)
    batch, k = start_tokens.shape[0], beam_size
    device = start_tokens.device
    base = torch.arange(batch, device=device).unsqueeze(1) * k  # (B, 1) first row of each input
    rows = torch.arange(batch, device=device).repeat_interleave(k)  # (B*K,) input of each row
    state, tokens = select_rows(state, rows), start_tokens[rows]
    finished = torch.zeros_like(tokens, dtype=torch.bool)
    lengths = torch.zeros_like(tokens)
    for t in range(max_len):
        logits, state, attention = step(tokens, state)
        log_p = torch.log_softmax(logits, dim=-1)  # (B*K, V)
        vocab = log_p.shape[1]
        if t == 0:
            # All K beams start as copies of one hypothesis: only the first may
            # expand, or the K best candidates would be K copies of one token.
            scores = log_p.new_full((batch, k), float("-inf"))
            scores[:, 0] = 0.0
            scores = scores.flatten()
            history = tokens.new_zeros(tokens.shape[0], 0)
            weights = attention.new_zeros(attention.shape[0], 0, attention.shape[1])
        # A finished hypothesis has one continuation, EOS, which costs nothing.
        only_eos = torch.full_like(log_p[0], float("-inf"))
        only_eos[eos_id] = 0.0
        log_p = torch.where(finished.unsqueeze(1), only_eos, log_p)
        candidates = (scores.unsqueeze(1) + log_p).view(batch, k * vocab)
        top, flat = candidates.topk(k, dim=1)  # (B, K)
        origin = (base + flat // vocab).flatten()  # row each survivor extends
        tokens, scores = (flat % vocab).flatten(), top.flatten()
        was_finished = finished[origin]
        lengths = lengths[origin] + (~was_finished).long()
        finished = was_finished | (tokens == eos_id)
        history = torch.cat([history[origin], tokens.unsqueeze(1)], dim=1)
        attention = attention[origin].masked_fill(was_finished.unsqueeze(1), 0.0)
        weights = torch.cat([weights[origin], attention.unsqueeze(1)], dim=1)
        state = select_rows(state, origin)
        if bool(finished.all()):
            break
    normalized = scores / length_penalty(lengths.to(scores.dtype), alpha)
    best = base.squeeze(1) + normalized.view(batch, k).argmax(dim=1)
    return Decoded(history[best], lengths[best], scores[best], normalized[best], weights[best])
