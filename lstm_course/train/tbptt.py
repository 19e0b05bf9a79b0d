"""Truncated back-propagation through time for stateful language models.

A language model reads one long token stream. Back-propagating through all
of it is too slow and too memory-hungry, so training cuts the stream into
chunks of ``k`` steps and back-propagates within each chunk only, while the
hidden state still flows forward from one chunk to the next: the model sees
the whole past, but gradients reach back at most ``k`` steps.

Dimensions: T_total steps in the stream, B independent columns, k steps per
chunk. A stream of N tokens becomes a (T_total, B) tensor by cutting it into
B equal pieces side by side, ``stream[: T_total * B].view(B, T_total).t()``;
column b of chunk i then continues column b of chunk i - 1, which is what
lets the state carry over.

The model contract is ``model(inputs, state) -> (logits, new_state)`` with
``inputs`` (k, B) token ids, ``logits`` (k, B, V) and ``state`` None at the
start or whatever the model returned (``(h, c)`` for an LSTM). With
``TrainConfig(stateful=True)``, :func:`lstm_course.train.fit` calls it chunk
after chunk, passing the state through :func:`detach_state`, and starts
again from None at every epoch.

Taught in the book's chapter "Truncated backpropagation through time",
book/tbptt.md#eq-tbptt; book/char_lm.md trains a language model with it.
"""

from __future__ import annotations

from typing import Any

import torch


def tbptt_batches(tokens: torch.Tensor, chunk_len: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cut a token tensor into consecutive (inputs, targets) chunks.

    Args:
        tokens: (T_total, B) token ids, T_total >= 2.
        chunk_len: k, the number of steps per chunk (the truncation length).

    Returns:
        A list of ``(inputs, targets)`` pairs, each (k, B), where ``targets``
        are ``inputs`` shifted one step ahead; the last chunk is shorter when
        k does not divide T_total - 1. The inputs together are
        ``tokens[:-1]`` and the targets together ``tokens[1:]``: every token
        is predicted exactly once. The chunks are views of ``tokens``, not
        copies, and a list, so that ``fit`` can go through them every epoch.

    >>> tokens = torch.arange(12).view(6, 2)          # T_total=6, B=2
    >>> [tuple(x.shape) for x, y in tbptt_batches(tokens, 2)]
    [(2, 2), (2, 2), (1, 2)]
    >>> x, y = tbptt_batches(tokens, 2)[0]
    >>> x[:, 0].tolist(), y[:, 0].tolist()
    ([0, 2], [2, 4])
    """
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2:
        got = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens).__name__
        raise ValueError(
            f"tokens must be a (T_total, B) tensor; got {got}. A 1-D stream of N tokens becomes "
            "(T_total, B) with stream[: T_total * B].view(B, T_total).t()"
        )
    if tokens.shape[0] < 2:
        raise ValueError(f"tokens needs T_total >= 2 steps to have a target; got shape {tuple(tokens.shape)}")
    if isinstance(chunk_len, bool) or not isinstance(chunk_len, int) or chunk_len < 1:
        raise ValueError(f"chunk_len must be an integer >= 1; got {chunk_len!r}")
    steps = tokens.shape[0] - 1  # the last token is only ever a target
    chunks = []
    for start in range(0, steps, chunk_len):
        stop = min(start + chunk_len, steps)
        chunks.append((tokens[start:stop], tokens[start + 1 : stop + 1]))  # (k, B), (k, B)
    return chunks


def detach_state(state: Any) -> Any:
    """The recurrent state cut from the graph that produced it.

    The values stay the same; only the autograd history goes, so that the
    backward pass of the next chunk stops at its first step instead of
    running back through every chunk before it (and keeping all of them in
    memory).

    Args:
        state: None, a tensor, or tuples, lists and dicts of them, such as
            an LSTM's ``(h, c)``, each (num_layers, B, H).

    Returns:
        The same structure with every tensor detached.

    >>> h = torch.ones(1, 2, 3, requires_grad=True) * 2
    >>> h2, c2 = detach_state((h, h))
    >>> h2.requires_grad, h2.grad_fn, torch.equal(h2, h)
    (False, None, True)
    """
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(detach_state(item) for item in state))
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(item) for item in state)
    if isinstance(state, dict):
        return {key: detach_state(value) for key, value in state.items()}
    return state
